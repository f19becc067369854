"""Choosing the event loop: uvloop when installed, asyncio's own on request."""

import asyncio

import pytest

from wsharness.loop import new_event_loop
from wsharness.runtime.loops import ENV_EVENT_LOOP, loop_factory, uvloop_installed

needs_uvloop = pytest.mark.skipif(not uvloop_installed(), reason="uvloop is not installed")
without_uvloop = pytest.mark.skipif(uvloop_installed(), reason="uvloop is installed")


def _is_uvloop(loop: asyncio.AbstractEventLoop) -> bool:
    return type(loop).__module__.startswith("uvloop")


@needs_uvloop
def test_auto_picks_uvloop_when_installed() -> None:
    """``auto`` names uvloop, and the factory makes a uvloop loop."""
    name, factory = loop_factory("auto")
    loop = factory()
    try:
        assert name == "uvloop" and _is_uvloop(loop)
    finally:
        loop.close()


@without_uvloop
def test_auto_falls_back_to_asyncio_without_uvloop() -> None:
    """Without the extra, ``auto`` names asyncio and makes asyncio's own loop."""
    name, factory = loop_factory("auto")
    loop = factory()
    try:
        assert name == "asyncio" and isinstance(loop, asyncio.BaseEventLoop)
    finally:
        loop.close()


@without_uvloop
def test_asking_for_uvloop_without_it_says_how_to_install_it() -> None:
    """``uvloop`` when it is missing is refused with the command that installs it."""
    with pytest.raises(RuntimeError, match=r"pip install -r requirements-fast\.txt"):
        loop_factory("uvloop")


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


@needs_uvloop
def test_harness_loop_is_uvloop_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unless told otherwise, the harness runs its clients on uvloop."""
    monkeypatch.delenv(ENV_EVENT_LOOP, raising=False)
    loop = new_event_loop()
    try:
        assert _is_uvloop(loop)
    finally:
        loop.close()


@needs_uvloop
def test_harness_loop_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``WS_EVENT_LOOP=asyncio`` keeps the harness on asyncio's own loop, uvloop or not."""
    monkeypatch.setenv(ENV_EVENT_LOOP, "asyncio")
    loop = new_event_loop()
    try:
        assert isinstance(loop, asyncio.BaseEventLoop) and not _is_uvloop(loop)
    finally:
        loop.close()


def test_a_typo_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """``WS_EVENT_LOOP=asycnio`` names the variable and the choices instead of falling back."""
    monkeypatch.setenv(ENV_EVENT_LOOP, "asycnio")
    with pytest.raises(ValueError, match=r"WS_EVENT_LOOP: event loop must be one of auto, "):
        new_event_loop()
