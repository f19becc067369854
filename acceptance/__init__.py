"""Glue between the behave steps and the harness, for the chat protocol.

:mod:`acceptance.chat` knows the chat wire format and drives a scenario's people,
:mod:`acceptance.testbed` starts the servers. The steps in ``steps/`` only call these.
"""
