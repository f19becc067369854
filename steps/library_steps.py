"""The library's protocol-neutral steps (connecting, sending, receiving, noting values)."""

from wsharness.bdd.steps import *  # noqa: F403
