"""Choosing the event loop: uvloop when installed, asyncio's own on request."""

import asyncio

import pytest

from runtime.loops import ENV_EVENT_LOOP, loop_factory, uvloop_installed
from wsharness.loop import new_event_loop


def test_auto_prefers_uvloop_when_installed() -> None:
    """``auto`` names the loop it picked, and the factory makes that loop."""
    name, factory = loop_factory("auto")
    assert name == ("uvloop" if uvloop_installed() else "asyncio")
    loop = factory()
    try:
        assert ("uvloop" in type(loop).__module__) == (name == "uvloop")
    finally:
        loop.close()


def test_asyncio_can_always_be_chosen() -> None:
    """``asyncio`` never depends on the optional extra."""
    name, factory = loop_factory("asyncio")
    loop = factory()
    try:
        assert name == "asyncio"
        assert isinstance(loop, asyncio.BaseEventLoop)
    finally:
        loop.close()


def test_unknown_loop_is_refused() -> None:
    """A typo names the choices instead of falling back silently."""
    with pytest.raises(ValueError, match="auto, asyncio, uvloop"):
        loop_factory("trio")


def test_harness_loop_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``WS_EVENT_LOOP=asyncio`` keeps the harness on asyncio's own loop."""
    monkeypatch.setenv(ENV_EVENT_LOOP, "asyncio")
    loop = new_event_loop()
    try:
        assert isinstance(loop, asyncio.BaseEventLoop)
    finally:
        loop.close()


def test_a_typo_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """``WS_EVENT_LOOP=asycnio`` names the variable and the choices instead of falling back."""
    monkeypatch.setenv(ENV_EVENT_LOOP, "asycnio")
    with pytest.raises(ValueError, match=r"WS_EVENT_LOOP: event loop must be one of auto, "):
        new_event_loop()
