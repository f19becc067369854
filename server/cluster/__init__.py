"""Server nodes that share one chat through Redis (``python -m server --broker URL``).

Pure parts, testable without a network: :mod:`server.plan` (what a node does with a
command, given what it knows locally), :mod:`server.membership` (which of the node's
own connections are in which group) and :mod:`.keys` (names in Redis and the
post format). The parts that talk to Redis: :mod:`.store` (the shared state, in
atomic Lua scripts), :mod:`.subscriber` (the node's pub/sub connection) and
:mod:`.node` (:class:`~.node.RedisChat`, which ties them together and keeps the
node registered while the broker comes and goes).

Nothing here is imported unless ``--broker`` is given, so a single server needs
neither Redis nor its client library.
"""
