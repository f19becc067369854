"""How the project's processes run, written once for the harness, the server and the tools.

* :mod:`wsharness.runtime.loops`: which asyncio event loop (uvloop when it is installed);
* :mod:`wsharness.runtime.limits`: how many files a process may open;
* :mod:`wsharness.runtime.signals`: what stops a process (SIGINT, SIGTERM, its parent going);
* :mod:`wsharness.runtime.children`: child processes that go away with their parent.
"""
