"""Command-line tools: the acceptance stage, the steps catalogue, parallel timings."""
