"""How the project's processes run, written once for the server, the harness and the tools.

* :mod:`runtime.loops`: which asyncio event loop (uvloop when it is installed);
* :mod:`runtime.limits`: how many files a process may open;
* :mod:`runtime.signals`: what stops a process (SIGINT, SIGTERM, its parent going away);
* :mod:`runtime.children`: child processes that go away with the process that started them.
"""
