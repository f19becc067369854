"""How the project's processes run (their event loop, open files, stop signals and children),
written once for the harness, the server and the tools."""
