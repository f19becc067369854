"""Glue between the behave steps and the harness, for the chat protocol.

:mod:`acceptance.chat` knows the chat wire format, :mod:`acceptance.chat` keeps
the named people of a scenario, :mod:`acceptance.servers` decides which server
the suite talks to. The steps in ``steps/`` only call these.
"""
