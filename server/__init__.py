"""A WebSocket chat server speaking the article's wire protocol.

Run it alone with ``python -m server``; embed it with :class:`server.app.ChatServer`.
"""

__version__ = "0.1.0"
"""The chat server's version: the project's (pyproject.toml), named in every HTTP answer's
``Server`` header as ``chat-server/VERSION``."""
