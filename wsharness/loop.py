"""One asyncio event loop on a background thread that owns every client's socket.

Synchronous test code runs on its own thread while clients keep reading and answering
pings here, and thousands of clients cost no extra threads. uvloop's loop when installed
(cheaper round trips); ``WS_EVENT_LOOP=asyncio`` keeps asyncio's (:mod:`wsharness.runtime.loops`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from wsharness.runtime.limits import raise_open_file_limit
from wsharness.runtime.loops import ENV_EVENT_LOOP, loop_factory

T = TypeVar("T")


class EventLoopThread:
    """An event loop running forever on a daemon thread."""

    def __init__(self, name: str = "wsharness-loop") -> None:
        self.loop = new_event_loop()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        """Run the loop until stopped; then cancel what is still pending and close it."""
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coroutine`` on the loop; return a future the caller can wait on."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coroutine`` on the loop and block until it returns (or time runs out)."""
        return self.submit(coroutine).result(timeout)

    def stop(self) -> None:
        """Stop the loop, cancel its pending tasks, close it and join its thread."""
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The loop ``WS_EVENT_LOOP`` chooses (auto, asyncio or uvloop), else :class:`ValueError`."""
    choice = os.environ.get(ENV_EVENT_LOOP, "").strip().lower() or "auto"
    try:
        _, factory = loop_factory(choice)
    except ValueError as exc:
        raise ValueError(f"{ENV_EVENT_LOOP}: {exc}") from None
    return factory()


_shared: EventLoopThread | None = None
_shared_lock = threading.Lock()


def shared_loop() -> EventLoopThread:
    """The loop that clients use unless told otherwise, started on first use."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.thread.is_alive():
            raise_open_file_limit()
            _shared = EventLoopThread()
        return _shared
