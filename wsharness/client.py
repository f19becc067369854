"""``TestWebSocket``: the article's race-free client, with Pythonic names.

It connects in the background like a browser ``WebSocket`` and records every message
with its arrival time. A wait looks at what is already there first, then sleeps on a
condition variable the socket side signals: no polling, no sleeps. A message is
*outstanding* until the test accounts for it (:mod:`wsharness.inbox`): ``wait_for_*``
leave it there, ``take_*`` account for what they return (taking a message twice needs
two copies), ``clear_messages`` for everything so far; a wait costs the same however
many messages are held. A hostile server fails the test in one line and never fills the
machine.

Every method blocks and is thread-safe: the socket lives on the harness's background
event loop (:mod:`wsharness.loop`), never on the caller's.
"""

from __future__ import annotations

import asyncio
import bisect
import concurrent.futures
import functools
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from hamcrest.core.matcher import Matcher
from hamcrest.core.string_description import StringDescription
from websockets.asyncio.client import connect
from websockets.datastructures import Headers
from websockets.exceptions import (
    ConnectionClosed,
    InvalidMessage,
    InvalidStatus,
    InvalidURI,
    PayloadTooBig,
    TooManyFragments,
)
from websockets.protocol import State as ProtocolState

from wsharness import settings
from wsharness.connection import MAX_FRAGMENTS, Opening, PongsPiledUp, RecordingConnection
from wsharness.errors import (
    ConnectionFailed,
    ConnectionLost,
    NotOnItsWay,
    UnexpectedMessage,
    WaitTimeout,
)
from wsharness.inbox import Inbox
from wsharness.loop import EventLoopThread, shared_loop
from wsharness.records import Data, Event, Received, describe_data, describe_url

State = Literal["connecting", "open", "closed"]
T = TypeVar("T")

MessageMatcher = Matcher[Any] | Callable[[Data], bool]

FrameObserver = Callable[["TestWebSocket", Event | Received, bool], None]
"""Told of every frame sent or received and whether it is text; on the sending or the loop's
thread, so it must be quick."""

Finder = tuple[Callable[[], Received | None], str | Callable[[], str]]
"""What a wait for one message looks for, and what it says it waited for."""

_SHOWN_IN_ERRORS = 20  # the most recent messages a failure lists


class TestWebSocket:
    """A WebSocket client for tests, named so that failures say whose they are.

    ``name`` starts every error ("Alice did not receive ..."). ``timeout`` is the default
    for every wait, for opening and for :meth:`close`. A message over ``max_message_size``
    bytes (default 16 MiB, or ``-D max_message_size`` / ``WS_MAX_MESSAGE_SIZE``: see
    :mod:`wsharness.settings`) or :data:`~wsharness.connection.MAX_FRAGMENTS` (4096)
    fragments fails the wait under way with :class:`ConnectionLost` and closes with 1009,
    instead of filling the machine.
    ``on_frame`` sees every frame; other keyword arguments go to websockets' ``connect``
    (compression off).
    """

    __test__ = False  # not a pytest test class, whatever its name says

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        timeout: float | None = None,
        max_message_size: int | None = None,
        loop: EventLoopThread | None = None,
        on_frame: FrameObserver | None = None,
        **connect_options: Any,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("ws://", "wss://")):
            raise ValueError(f"url must start with ws:// or wss://, not {url!r}")
        _check_options(connect_options)
        self.url = url
        self.shown_url = describe_url(url)
        """The URL as errors and transcripts show it: without a token in its query."""
        self.name = name or url
        self.timeout = settings.timing().wait if timeout is None else _checked(timeout)
        self.max_message_size = (
            settings.max_message_size()
            if max_message_size is None
            else settings.checked_size(max_message_size)
        )
        """The largest message this client accepts, in bytes."""
        self.created_at = time.monotonic()
        self._on_frame = on_frame
        self._loop = loop or shared_loop()
        self._cond = threading.Condition()
        self._state: State = "connecting"
        self._connection: RecordingConnection | None = None
        self._failure: str | None = None
        self._gave_up: str | None = None  # why this client failed an open connection
        self._opening = Opening()
        self._handshake_status: int | None = None
        self._reading = True
        self._close_code: int | None = None
        self._close_reason: str | None = None
        self._inbox = Inbox()
        self._asides: list[Aside] = []
        self._set_aside: list[int] = []  # seq of each aside: failures neither count nor number them
        self._events: list[Event | Received] = []
        self._run_task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._loop.loop.call_soon_threadsafe(self._start, self._options(connect_options))

    def _options(self, connect_options: dict[str, Any]) -> dict[str, Any]:
        """What :func:`websockets.asyncio.client.connect` is given: ours, then the caller's."""
        return {
            "compression": None,
            "max_size": self.max_message_size,
            "open_timeout": self.timeout,
            "close_timeout": self.timeout,
            "create_connection": functools.partial(RecordingConnection, opening=self._opening),
            **connect_options,
        }

    def __repr__(self) -> str:
        return f"<TestWebSocket {self.name} {self.shown_url} {self.state}>"

    def __enter__(self) -> TestWebSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- State -------------------------------------------------------------------

    @property
    def state(self) -> State:
        """``"connecting"``, ``"open"`` or ``"closed"``."""
        return self._state

    @property
    def close_code(self) -> int | None:
        """The close code once closed (1006 if the connection dropped), else None."""
        return self._close_code

    @property
    def close_reason(self) -> str | None:
        """The close reason once closed, else None."""
        return self._close_reason

    @property
    def handshake_status(self) -> int | None:
        """The HTTP status the server answered the handshake with (101, 401...), or None."""
        return self._handshake_status

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server agreed on, or None (also before the connection opened)."""
        connection = self._connection
        return None if connection is None else connection.subprotocol

    @property
    def response_headers(self) -> Headers:
        """The headers of the server's handshake response (empty before it answered)."""
        connection = self._connection
        if connection is None or connection.response is None:
            return Headers()
        return connection.response.headers

    def wait_until(self, state: Literal["open", "close"], *, timeout: float | None = None) -> None:
        """Wait until the connection is open, or closed; opening fails at once with
        :class:`ConnectionFailed` if the connection cannot open."""
        if state not in ("open", "close"):
            raise ValueError(f'state must be "open" or "close", not {state!r}')
        wanted = "open" if state == "open" else "closed"
        self._wait(
            lambda: True if self._state == wanted else None,
            f"{state} its connection",
            timeout,
            fail_when_closed=state == "open",
        )

    # -- Messages ------------------------------------------------------------------

    @property
    def messages(self) -> list[Data]:
        """A copy of the outstanding messages (received and not cleared or taken), oldest first."""
        with self._cond:
            return [record.data for record in self._inbox.outstanding()]

    @property
    def received(self) -> list[Received]:
        """Like :attr:`messages`, with sequence numbers and arrival times."""
        with self._cond:
            return self._inbox.outstanding()

    @property
    def received_count(self) -> int:
        """How many messages were ever received, cleared and taken ones included."""
        return self._inbox.total

    def clear_messages(self) -> None:
        """Account for every message received so far (the transcript keeps them)."""
        with self._cond:
            self._inbox.take_all()

    @property
    def transcript(self) -> list[Event | Received]:
        """Everything the client did and saw: open, sent, received (as :class:`Received`), close."""
        with self._cond:
            return list(self._events)

    def wait_for_message(
        self, message: Data, *, include_existing: bool = True, timeout: float | None = None
    ) -> Received:
        """Wait until an outstanding message equals ``message`` (a binary frame never equals
        a text); with ``include_existing`` false, only one arriving after this call counts."""
        return self._wait(*self._equal(message, include_existing, take=False), timeout)

    def wait_for_match(
        self,
        matcher: MessageMatcher,
        *,
        include_existing: bool = True,
        description: str | None = None,
        timeout: float | None = None,
    ) -> Received:
        """Like :meth:`wait_for_message`, for a message satisfying a PyHamcrest matcher or a
        predicate; ``description`` completes "did not receive ..." in the error."""
        finder = self._matching(matcher, include_existing, description, take=False)
        return self._wait(*finder, timeout)

    def expect_aside(self, reply: Data | MessageMatcher) -> Aside:
        """Account for the next message equal to (or matching) ``reply`` as it arrives, so no
        wait sees it: for a round trip's reply. Register before sending the request; wait for
        it with :meth:`wait_for_aside`."""
        if isinstance(reply, str | bytes):
            aside = Aside(functools.partial(_same, reply), describe_data(reply))
        else:
            aside = Aside(*message_test(reply))
        with self._cond:
            self._asides.append(aside)
        return aside

    def wait_for_aside(self, aside: Aside, *, timeout: float | None = None) -> None:
        """Wait until the message :meth:`expect_aside` set aside has arrived."""
        self._wait(
            lambda: True if aside.arrived_at is not None else None,
            f"receive {aside.description}",
            timeout,
        )

    def wait_until_true(
        self, condition: Callable[[], bool], *, description: str, timeout: float | None = None
    ) -> None:
        """Wait until ``condition()`` is true, asked again on every arrival, open and close.
        It runs under this client's lock: it must not send, and may wait only with timeout=0."""
        self._wait(lambda: True if condition() else None, description, timeout)

    def wait_for_message_count(self, count: int, *, timeout: float | None = None) -> list[Data]:
        """Wait until at least ``count`` messages are outstanding; return a copy of them."""
        _check_count(count)

        def enough() -> list[Data] | None:
            return self.messages if self._inbox.outstanding_count() >= count else None

        return self._wait(enough, f"receive {_messages(count)}", timeout)

    def take_message(
        self, message: Data, *, timeout: float | None = None, proven_by: str | None = None
    ) -> Received:
        """Wait for an outstanding message equal to ``message`` and account for it. With
        ``proven_by`` (why nothing more can come), fail at once with :class:`NotOnItsWay`
        if it is not here (as do :meth:`take_match` and :meth:`take_messages`)."""
        return self._wait(*self._equal(message, True, take=True), timeout, proven_by=proven_by)

    def take_match(
        self,
        matcher: MessageMatcher,
        *,
        description: str | None = None,
        timeout: float | None = None,
        proven_by: str | None = None,
    ) -> Received:
        """Wait for an outstanding message that satisfies ``matcher`` and account for it."""
        finder = self._matching(matcher, True, description, take=True)
        return self._wait(*finder, timeout, proven_by=proven_by)

    def take_messages(
        self, count: int, *, timeout: float | None = None, proven_by: str | None = None
    ) -> list[Received]:
        """Wait until ``count`` messages are outstanding; account for the oldest and return them."""
        _check_count(count)

        def oldest() -> list[Received] | None:
            if self._inbox.outstanding_count() < count:
                return None
            taken = self._inbox.oldest(count)
            for record in taken:
                self._inbox.take(record)
            return taken

        return self._wait(oldest, f"receive {_messages(count)}", timeout, proven_by=proven_by)

    def assert_no_message(
        self, *, within: float | None = None, matching: MessageMatcher | None = None
    ) -> None:
        """Fail as soon as a new message (matching ``matching``) arrives within ``within``
        seconds: the harness's one deliberate wait; a round trip proves silence faster."""
        window = settings.timing().quiet if within is None else _checked(within)
        test, description = message_test(matching) if matching is not None else (None, "")
        seen = self._inbox.total
        deadline = time.monotonic() + window
        with self._cond:
            while True:
                for record in self._inbox.since(seen):
                    if test is None or test(record.data):
                        expected = f"no message matching {description}" if test else "nothing"
                        raise UnexpectedMessage(
                            f"{self.name} received {describe_data(record.data)} within "
                            f"{window:g} s, but expected {expected}"
                        )
                seen = self._inbox.total
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(remaining)

    def _equal(self, message: Data, include_existing: bool, *, take: bool) -> Finder:
        """What a wait for a message equal to ``message`` looks for, and says it waited for."""
        if not isinstance(message, str | bytes):
            raise TypeError(f"message must be str or bytes, not {type(message).__name__}")
        since = 0 if include_existing else self._inbox.total

        def find() -> Received | None:
            return self._found(self._inbox.first_equal(message, since), take=take)

        def what() -> str:
            taken_before = take and any(
                _same(message, record.data) for record in self._inbox.history
            )
            return f"receive {'another ' if taken_before else ''}{describe_data(message)}"

        return find, what

    def _matching(
        self,
        matcher: MessageMatcher,
        include_existing: bool,
        description: str | None,
        *,
        take: bool,
    ) -> Finder:
        """What a wait for a message satisfying ``matcher`` looks for, and says it waited for."""
        test, described = message_test(matcher)
        looked_up_to = 0 if include_existing else self._inbox.total

        def find() -> Received | None:
            # Each wake-up looks only at what arrived since the last look.
            nonlocal looked_up_to
            found = self._inbox.first_matching(lambda record: test(record.data), looked_up_to)
            looked_up_to = self._inbox.total
            return self._found(found, take=take)

        return find, f"receive {description or f'a message matching {described}'}"

    def _found(self, record: Received | None, *, take: bool) -> Received | None:
        if record is not None and take:
            self._inbox.take(record)
        return record

    # -- Sending and closing ---------------------------------------------------------

    def send(self, data: Data, *, text: bool | None = None, timeout: float | None = None) -> None:
        """Send a text (``str``) or binary (``bytes``) message, once the connection is open.
        ``text=True`` sends ``bytes`` in a text frame unchecked (invalid UTF-8 on purpose);
        ``text=False`` sends a ``str`` in a binary frame."""
        self.send_all([data], text=text, timeout=timeout)

    def send_all(
        self, messages: Sequence[Data], *, text: bool | None = None, timeout: float | None = None
    ) -> None:
        """Send ``messages`` in order, in as few writes as the socket allows, as a flooding
        client does; ``text`` as for :meth:`send`."""
        if messages:
            self._finish_sending(*self._start_sending(messages, text, timeout), timeout)

    def _start_sending(
        self, messages: Sequence[Data], text: bool | None, timeout: float | None
    ) -> tuple[concurrent.futures.Future[None], Sequence[Data]]:
        """Hand ``messages`` to the loop; return the write's future, and the messages to name."""
        for data in messages:
            if not isinstance(data, str | bytes):
                raise TypeError(f"data must be str or bytes, not {type(data).__name__}")
        if self._state == "connecting":
            self.wait_until("open", timeout=timeout)
        with self._cond:
            connection = self._connection
            if self._failure is not None:
                raise ConnectionFailed(self._failure)
            if self._state != "open" or connection is None:
                raise ConnectionLost(
                    f"{self.name} cannot send {_describe_messages(messages)}: "
                    f"{self._closed_detail()}"
                )
            now = time.monotonic()
            sent = [Event("sent", now, data) for data in messages]
            self._events.extend(sent)
            if self._on_frame is not None:
                for event in sent:
                    is_text = isinstance(event.data, str) if text is None else text
                    self._on_frame(self, event, is_text)
        return connection.send_from_thread(messages, text=text), messages

    def _finish_sending(
        self,
        future: concurrent.futures.Future[None],
        messages: Sequence[Data],
        timeout: float | None,
    ) -> None:
        """Wait until the write is done; raise what a failed send means to a test."""
        try:
            future.result(self.timeout if timeout is None else _checked(timeout))
        except ConnectionClosed:
            raise ConnectionLost(
                f"{self.name} could not send {_describe_messages(messages)}: "
                f"{self._closed_detail()}"
            ) from None
        except TimeoutError:
            future.cancel()
            raise WaitTimeout(
                f"{self.name} could not send {_describe_messages(messages)} within the timeout: "
                "the server is not reading"
            ) from None

    def send_json(self, document: Any, *, timeout: float | None = None) -> None:
        """Send ``document`` encoded as JSON in a text message."""
        self.send(json.dumps(document, ensure_ascii=False), timeout=timeout)

    def close(self, code: int = 1000, reason: str = "", *, timeout: float | None = None) -> None:
        """Close with a closing handshake and wait until closed. A server that does not answer
        within ``timeout`` (default: the client's) is dropped (the transcript says so). Safe
        at any time: twice, before the connection opened (abandons it), after
        :meth:`stop_reading` (a closing handshake needs reading, so the client reads again)."""
        self._wait_closed(self._start_close(code, reason, timeout))

    def _start_close(self, code: int, reason: str, timeout: float | None) -> float:
        """Hand the close to the loop; return how long the server has to answer."""
        limit = self.timeout if timeout is None else _checked(timeout)
        if self._state != "closed":
            self._loop.loop.call_soon_threadsafe(self._begin_close, code, reason, limit)
        return limit

    def _wait_closed(self, limit: float) -> None:
        # The loop drops the connection after ``limit``; a timeout more guards a stuck loop.
        self.wait_until("close", timeout=limit + self.timeout)

    def drop(self, *, timeout: float | None = None) -> None:
        """Cut the TCP connection without a closing handshake, as a crashed client would."""
        if self._state != "closed":
            self._loop.loop.call_soon_threadsafe(self._abort)
        self.wait_until("close", timeout=timeout)

    def stop_reading(self, *, timeout: float | None = None) -> None:
        """Stop reading from the socket once open, as a client that hangs: what the server
        sends piles up in its buffers until :meth:`resume_reading`."""
        self.wait_until("open", timeout=timeout)
        self._reading = False
        self._loop.run(self._set_reading(reading=False), self.timeout)

    def resume_reading(self) -> None:
        """Read from the socket again after :meth:`stop_reading`."""
        self._loop.run(self._set_reading(reading=True), self.timeout)
        self._reading = True

    @property
    def is_reading(self) -> bool:
        """False between :meth:`stop_reading` and :meth:`resume_reading`."""
        return self._reading

    # -- The socket side (runs on the event loop thread) ------------------------------

    async def _set_reading(self, *, reading: bool) -> None:
        """Pause or resume the transport, on the loop: nothing is read after stop_reading()."""
        connection = self._connection
        if connection is None or self._state != "open":
            return
        if reading:
            connection.transport.resume_reading()
        else:
            connection.transport.pause_reading()

    def _start(self, options: dict[str, Any]) -> None:
        self._run_task = self._loop.loop.create_task(self._run(options))
        self._run_task.add_done_callback(self._run_ended)

    def _run_ended(self, task: asyncio.Task[None]) -> None:
        """A task cancelled before its connection opened, or a bug, still ends "closed"."""
        if self._state == "closed":
            return
        if task.cancelled():
            self._finish(
                failure=f"{self.name} was closed before its connection to {self.shown_url} opened"
            )
        else:
            error = task.exception()
            self._finish(failure=f"{self.name} lost its connection to {self.shown_url}: {error!r}")

    def _begin_close(self, code: int, reason: str, timeout: float) -> None:
        """On the loop thread, where the state cannot change underfoot; the library drops
        the connection if the server has not closed it ``timeout`` seconds later."""
        if self._connection is None:
            self._abort()
        elif self._state == "open":
            connection = self._connection
            connection.close_timeout = timeout
            connection.transport.resume_reading()  # after stop_reading()
            closing = self._loop.loop.create_task(connection.close(code, reason))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
            # close() first waits without limit for the unsent to drain: a server that
            # stopped reading would hold it there for ever.
            self._loop.loop.call_later(timeout, _drop_unless_closed, connection)

    def _abort(self) -> None:
        if self._connection is not None:
            self._connection.transport.abort()
        elif self._run_task is not None:
            self._run_task.cancel()

    async def _run(self, options: dict[str, Any]) -> None:
        try:
            connection = await connect(self.url, **options)
            assert isinstance(connection, RecordingConnection)
        except Exception as exc:  # every cause becomes one readable line
            if isinstance(exc, InvalidStatus):
                self._handshake_status = exc.response.status_code
            reason = connection_failure_reason(
                exc, options["open_timeout"], url=self.url, opening=self._opening
            )
            self._finish(failure=f"{self.name} could not connect to {self.shown_url}: {reason}")
            return
        with self._cond:
            self._connection = connection
            self._handshake_status = 101  # switching protocols: the handshake succeeded
            self._state = "open"
            self._events.append(Event("open", time.monotonic()))
            self._cond.notify_all()
        try:
            connection.record_with(self._record, self._give_up)
            await connection.wait_closed()
        except ConnectionClosed:
            pass
        except asyncio.CancelledError:
            connection.transport.abort()  # the loop is stopping: let go of the socket now
            raise
        finally:
            await connection.wait_closed()
            self._finish(**self._how_it_closed(connection))

    def _how_it_closed(self, connection: RecordingConnection) -> dict[str, Any]:
        """The close code and reason to record: who closed, and an unanswered close, not 1006."""
        code, reason = connection.close_code, connection.close_reason
        sent = connection.protocol.close_sent
        if connection.protocol.close_rcvd is None and sent is not None:
            notes = []
            if sent.code != 1000:  # this client failed the connection
                code = sent.code
                notes.append(f"closed by {self.name}: {sent.reason}")
            if connection.close_unanswered:
                notes.append(
                    "the connection was dropped because the server did not answer the "
                    f"close within {connection.close_timeout:g} s"
                )
            reason = "; ".join(notes) or reason
        return {"code": code, "reason": reason}

    def _give_up(self, exc: BaseException) -> None:
        """This client failed the connection: every wait fails from now on, saying why,
        without waiting for a server that may never answer the close."""
        why = self._limit_passed(exc)
        with self._cond:
            self._gave_up = why
            self._events.append(Event("error", time.monotonic(), detail=why))
            self._cond.notify_all()
        self._begin_close(1000, "", self.timeout)  # the close frame is already sent

    def _limit_passed(self, exc: BaseException) -> str:
        """One line saying what the server sent that made this client give up."""
        limit = settings.describe_size(self.max_message_size)
        if isinstance(exc, PayloadTooBig):
            return f"the server sent a message over the harness's {limit} limit (max_message_size)"
        if isinstance(exc, TooManyFragments):
            return (
                f"the server sent a message in more than {MAX_FRAGMENTS} fragments, over the "
                "harness's limit (WEBSOCKETS_MAX_FRAGMENTS)"
            )
        if isinstance(exc, PongsPiledUp):
            return (
                "the server sent pings faster than it read the pongs: over the harness's "
                f"{limit} limit (max_message_size) of them waiting to be sent"
            )
        if isinstance(exc, UnicodeDecodeError):
            return (
                f"the server sent a text message that is not UTF-8 ({exc.reason} at "
                f"position {exc.start})"
            )
        return f"the server broke the WebSocket protocol ({exc})"

    def _record(self, data: Data) -> None:
        with self._cond:
            record = self._inbox.add(data, time.monotonic())
            self._events.append(record)
            if self._on_frame is not None:
                self._on_frame(self, record, isinstance(data, str))
            for aside in self._asides:
                if aside.test(data):
                    aside.arrived_at = record.at
                    self._inbox.take(record)
                    self._set_aside.append(record.seq)
                    self._asides.remove(aside)
                    break
            self._cond.notify_all()

    def _finish(
        self, *, failure: str | None = None, code: int | None = None, reason: str | None = None
    ) -> None:
        with self._cond:
            self._state = "closed"
            self._failure = failure
            self._close_code = code
            self._close_reason = reason
            detail = failure or f"code {code}" + (f", {reason}" if reason else "")
            self._events.append(
                Event("error" if failure else "close", time.monotonic(), detail=detail)
            )
            self._cond.notify_all()

    # -- Waiting -----------------------------------------------------------------------

    def _wait(
        self,
        check: Callable[[], T | None],
        what: str | Callable[[], str],
        timeout: float | None,
        *,
        fail_when_closed: bool = True,
        proven_by: str | None = None,
    ) -> T:
        """Block until ``check()`` returns a value, under the lock. ``what`` completes "did not
        ..." (a function is called only on failure); ``proven_by`` fails at once, saying why."""
        limit = self.timeout if timeout is None else _checked(timeout)
        if proven_by is not None:
            limit = 0.0
        deadline = time.monotonic() + limit
        with self._cond:
            while (result := check()) is None:
                remaining = deadline - time.monotonic()
                failure = self._unmet(what, limit, remaining, fail_when_closed, proven_by)
                if failure is not None:
                    raise failure
                self._cond.wait(remaining)
            return result

    def _unmet(
        self,
        what: str | Callable[[], str],
        limit: float,
        remaining: float,
        fail_when_closed: bool,
        proven_by: str | None,
    ) -> Exception | None:
        """Why a wait not met yet fails now, or None to wait on (under the lock)."""
        if fail_when_closed and (self._state == "closed" or self._gave_up is not None):
            if self._failure is not None:
                return ConnectionFailed(self._failure)
            return ConnectionLost(
                f"{self.name} could not {_said(what)}: {self._closed_detail()}; "
                f"{self._received_summary()}"
            )
        if proven_by is not None:
            return NotOnItsWay(
                f"{self.name} did not {_said(what)}; {proven_by}; {self._received_summary()}"
            )
        if remaining > 0:
            return None
        if self._state == "connecting":
            # The real cause, whichever of this wait and the opening (started together) ran out.
            waited = round(time.monotonic() - self.created_at, 1)
            return WaitTimeout(
                f"{self.name} could not connect to {self.shown_url}: "
                f"{handshake_stalled(self._opening, waited, url=self.url)}"
            )
        return WaitTimeout(
            f"{self.name} did not {_said(what)} within {limit:g} s; {self._received_summary()}"
        )

    def _closed_detail(self) -> str:
        if why := self._failure or self._gave_up:
            return why
        detail = f"its connection closed (code {self._close_code}"
        if self._close_reason:
            detail += f", {self._close_reason!r}"
        return detail + ")"

    def _received_summary(self) -> str:
        """The outstanding messages, numbered by arrival, for an error (asides not counted)."""
        total = self._inbox.total - len(self._set_aside)
        records = self._inbox.outstanding()
        accounted = total - len(records)
        if not records:
            if accounted:
                return f"it received nothing new ({_messages(accounted)} accounted for before)"
            return "it received nothing"
        header = f"it received {_messages(total)}"
        if accounted:
            header += f", {accounted} of them accounted for before; the others"
        shown = records[-_SHOWN_IN_ERRORS:]
        if len(shown) < len(records):
            header += f" (the last {len(shown)} shown)"
        lines = [
            f"  {record.seq + 1 - bisect.bisect_left(self._set_aside, record.seq)}. "
            f"{describe_data(record.data)}"
            for record in shown
        ]
        return header + ":\n" + "\n".join(lines)


@dataclass
class Aside:
    """A message :meth:`TestWebSocket.expect_aside` sets aside as it arrives."""

    test: Callable[[Data], bool]
    description: str
    arrived_at: float | None = None  # time.monotonic(), once it arrived


UNTRUSTED_CERTIFICATE = "the server's TLS certificate is not trusted"
"""How a connection failure names a certificate that did not verify."""


def connection_failure_reason(
    exc: BaseException,
    open_timeout: float | None = None,
    *,
    url: str = "",
    opening: Opening | None = None,
) -> str:
    """One line saying why a connection attempt failed; ``opening`` (how far a
    WebSocket handshake got) tells a silent server from one that answers garbage."""
    secure = url.startswith("wss://")
    if opening is not None and isinstance(exc, TimeoutError) and open_timeout is not None:
        return handshake_stalled(opening, open_timeout, url=url)
    if opening is not None and isinstance(exc, InvalidMessage):
        return _not_a_handshake_answer(opening.answer, exc, secure=secure)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"{UNTRUSTED_CERTIFICATE} ({exc.verify_message}); "
            "trust its CA with the CA file setting (-D ca_file=PEM, WS_CA_FILE, or the "
            "acceptance stage's --ca-file)"
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"the TLS handshake failed ({exc.reason or exc}); is the server serving wss:// there?"
        )
    if secure and isinstance(exc, ConnectionResetError | EOFError):
        return "the connection was reset during the TLS handshake; is the server serving wss://?"
    if not secure and isinstance(exc, InvalidMessage):
        return "the server did not answer with HTTP; is it serving wss:// (TLS) instead?"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    if isinstance(exc, TimeoutError):
        within = f" within {open_timeout:g} s" if open_timeout else ""
        return f"the opening handshake did not complete{within}"
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        body = (exc.response.body or b"").decode(errors="replace").strip()
        return f"the server answered HTTP {status}" + (f" ({body})" if body else "")
    if isinstance(exc, InvalidURI):
        return f"invalid URL ({exc.msg})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return f"{type(exc).__name__}: {exc}"


def handshake_stalled(opening: Opening, waited: float, *, url: str) -> str:
    """Why an opening handshake has not completed after ``waited`` seconds."""
    if not opening.connected:
        what = "TCP and TLS connection" if url.startswith("wss://") else "TCP connection"
        return f"no {what} was made within {waited:g} s (is the host reachable?)"
    answer = opening.answer
    if not answer:
        return (
            "the server accepted the connection but never answered the WebSocket "
            f"handshake within {waited:g} s"
        )
    if not _could_be_http(answer):
        return _not_a_handshake_answer(answer, None, secure=url.startswith("wss://"))
    return (
        f"the server began to answer the handshake but did not finish within {waited:g} s: "
        f"{_shown(answer)}"
    )


def _not_a_handshake_answer(answer: bytes, exc: InvalidMessage | None, *, secure: bool) -> str:
    """One line for an answer to the handshake that the client could not read."""
    # A TLS server closes a plain connection at once, or after an alert record.
    maybe_tls = not secure and (not answer or answer[:1] in (b"\x15", b"\x16"))
    hint = "; is it serving wss:// (TLS)?" if maybe_tls else ""
    if not answer:
        return f"the server closed the connection without answering the WebSocket handshake{hint}"
    if not _could_be_http(answer):
        return (
            "the server answered the handshake with something that is not HTTP: "
            f"{_shown(answer)}{hint}"
        )
    cause = exc.__cause__ if exc is not None and exc.__cause__ is not None else exc
    return f"the server's answer to the handshake is not valid HTTP ({cause}): {_shown(answer)}"


def _could_be_http(answer: bytes) -> bool:
    """Whether ``answer`` starts as an HTTP response does (or could, if cut short)."""
    return b"HTTP/".startswith(answer[:5])


_SHOWN_BYTES = 40  # bytes of a server's unreadable answer that a failure shows


def _shown(answer: bytes) -> str:
    return repr(answer[:_SHOWN_BYTES]) + ("..." if len(answer) > _SHOWN_BYTES else "")


def message_test(matcher: MessageMatcher) -> tuple[Callable[[Data], bool], str]:
    """A PyHamcrest matcher or a predicate on the message, as a function and a description."""
    if isinstance(matcher, Matcher):
        description = StringDescription()
        matcher.describe_to(description)
        return matcher.matches, str(description)
    if callable(matcher):
        return matcher, getattr(matcher, "__name__", repr(matcher))
    raise TypeError(f"expected a PyHamcrest matcher or a function, not {matcher!r}")


def _check_options(connect_options: dict[str, Any]) -> None:
    """Refuse websockets' names for what the client has options of its own for."""
    for option, instead in _OWN_OPTIONS.items():
        if option in connect_options:
            raise ValueError(f"give {instead}, not {option}")


_OWN_OPTIONS = {  # websockets' options that TestWebSocket sets itself, and what to give instead
    "max_size": "max_message_size=BYTES",
    "close_timeout": "close(timeout=SECONDS)",
}


def _same(expected: Data, data: Data) -> bool:
    """Whether ``data`` is ``expected``: a binary frame never equals a text."""
    return type(data) is type(expected) and data == expected


def _said(what: str | Callable[[], str]) -> str:
    return what if isinstance(what, str) else what()


def _messages(count: int) -> str:
    return f"{count} message{'s' if count != 1 else ''}"


def _check_count(count: int) -> None:
    if not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a whole number, 0 or more, not {count!r}")


def _describe_messages(messages: Sequence[Data]) -> str:
    """The messages of a failed send, named (only then: describing a MiB is not free)."""
    more = len(messages) - 1
    return describe_data(messages[0]) + (f" and {more} more" if more else "")


def _checked(seconds: float) -> float:
    if not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError(f"timeout must be a number of seconds, 0 or more, not {seconds!r}")
    return float(seconds)


def send_at_once(sends: Sequence[tuple[TestWebSocket, Data]]) -> None:
    """Send one message on each of several clients in the same turn of the loop, as racing
    requests from many users would: every write is handed over before any is waited for."""
    started = [(client, *client._start_sending([data], None, None)) for client, data in sends]
    for client, future, messages in started:
        client._finish_sending(future, messages, None)


def _drop_unless_closed(connection: RecordingConnection) -> None:
    if connection.protocol.state is not ProtocolState.CLOSED:
        connection.transport.abort()


def close_at_once(clients: Sequence[TestWebSocket]) -> None:
    """Close several clients together, so servers that ignore the close cost one close
    timeout in all, not one per client."""
    limits = [client._start_close(1000, "", None) for client in clients]
    for client, limit in zip(clients, limits, strict=True):
        client._wait_closed(limit)
