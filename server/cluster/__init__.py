"""Nodes that share one chat through Redis (``python -m server --broker URL``).

:mod:`.node` is the store that :class:`server.chat.Chat` carries out the rules on
(:class:`~.node.Node`): it keeps the node registered while the broker comes and
goes. It changes the shared state through :mod:`.scripts` (atomic Lua scripts),
hears other nodes' posts through :mod:`.subscriber` (its pub/sub connection),
and names everything in Redis by :mod:`.keys` (also the post format).

Nothing here is imported unless ``--broker`` is given, so a single server needs
neither Redis nor its client library.
"""
