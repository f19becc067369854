"""Nodes that share one chat through Redis (``python -m server --broker URL``).

:mod:`.node` is the store (:class:`~.node.Node`); it changes the shared state through
:mod:`.scripts`, hears other nodes' posts through :mod:`.subscriber`, and names
everything in Redis by :mod:`.keys`. Nothing here is imported without ``--broker``.
"""
