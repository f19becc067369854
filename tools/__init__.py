"""Command-line tools: the acceptance stage, the steps catalogue, parallel timings, and
the library's sdist and wheel (built and checked)."""
