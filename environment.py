"""behave hooks: the step library's, told about the chat server.

The hooks themselves are :mod:`wsharness.bdd.environment`'s (the server check,
a fresh cast per scenario, transcripts on failure, Ctrl-C). This project adds
what only it knows: the chat protocol's adapter (its echo round trip and
unique group names), the cast that keeps track of groups, and the chat server
that the suite starts when no URL is given (:mod:`acceptance.servers`).
"""

from acceptance.cast import ChatCast
from acceptance.chat import ChatAdapter
from acceptance.servers import chat_servers
from wsharness.bdd import configure
from wsharness.bdd.environment import *  # noqa: F403

configure(adapter=ChatAdapter(), cast=ChatCast, servers=chat_servers)
