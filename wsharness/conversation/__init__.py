"""A scenario's conversation: who sent and received what, step by step, drawn as a
sequence diagram (:mod:`.svg`) or told as text (:mod:`.text`), in the same words.

Protocol-neutral: built from the transcripts :class:`~wsharness.TestWebSocket` keeps.
"""

from wsharness.conversation.model import Conversation, StepTiming, Voice, build

__all__ = ["Conversation", "StepTiming", "Voice", "build"]
