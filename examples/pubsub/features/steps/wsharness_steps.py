"""Every sentence of the step library: connecting, sending, receiving, noting values."""

from wsharness.bdd.steps import *  # noqa: F403
