"""Servers the tests run as child processes: broken, slow and independent ones."""
