"""A WebSocket chat server speaking the article's wire protocol.

Run it alone with ``python -m server``; embed it with :class:`server.app.ChatServer`.
"""
