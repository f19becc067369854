"""Benchmarks for the chat server, the test harness and the acceptance suite.

``python -m bench`` prints one table (``--quick`` for a short run). Every server
figure is taken back to back with the library's ceiling (:mod:`bench.ceiling`) in
the same run and reported as a ratio, because absolute numbers drift on a shared
machine. See ``docs/performance.md`` for results and how to read them.
"""
