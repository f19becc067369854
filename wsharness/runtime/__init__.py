"""Process plumbing shared by the harness, the project's server and its tools."""
