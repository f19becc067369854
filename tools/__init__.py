"""Command-line tools of the project: the acceptance stage, the steps catalogue, parallel timings."""
