"""What a client has received, and which of it a test has accounted for.

Every message is kept in arrival order and is *outstanding* until taken or cleared. A
lookup costs the same however many are held (an index of equal messages; a waiting search
remembers how far it looked), and a held message costs about 150 bytes beyond its text.
Not thread-safe: :class:`~wsharness.client.TestWebSocket` calls it under its lock.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from itertools import islice

from wsharness.deprecated import Renamed
from wsharness.records import Data, Received

MessageTest = Callable[[Received], bool]


class _Copies:
    """The copies of one message, oldest first; those before ``start`` are accounted for."""

    __slots__ = ("records", "start")

    def __init__(self, records: list[Received]) -> None:
        self.records = records
        self.start = 0


class Inbox:
    """Every message received, and the outstanding ones among them."""

    def __init__(self) -> None:
        self.history: list[Received] = []
        """Every message ever received; ``history[n].seq == n``."""
        # _taken[n] is 1 once message n was taken on its own; find(0) finds the outstanding
        # ones at the speed of memchr.
        self._taken = bytearray()
        self._cleared = 0  # every message numbered below was cleared
        self._count = 0  # how many are not accounted for
        # Text and binary apart: a str never equals bytes, and comparing them warns (-b).
        self._texts: dict[Data, Received | _Copies] = {}
        self._binaries: dict[Data, Received | _Copies] = {}

    def add(self, data: Data, at: float) -> Received:
        """Record a message that has just arrived; it is outstanding."""
        record = Received(len(self.history), data, at)
        self.history.append(record)
        self._taken.append(0)
        self._count += 1
        index = self._index(data)
        entry = index.get(data)
        if entry is None:
            index[data] = record
        elif isinstance(entry, _Copies):
            entry.records.append(record)
        else:  # a single copy, outstanding (take drops one that is not)
            index[data] = _Copies([entry, record])
        return record

    @property
    def total(self) -> int:
        """How many messages were ever received."""
        return len(self.history)

    def is_outstanding(self, record: Received) -> bool:
        return record.seq >= self._cleared and not self._taken[record.seq]

    def outstanding(self) -> list[Received]:
        """The messages not yet accounted for, oldest first."""
        return list(self._outstanding_from(0))

    def oldest(self, count: int) -> list[Received]:
        """The oldest ``count`` outstanding messages (fewer if there are not as many)."""
        return list(islice(self._outstanding_from(0), count))

    def take(self, record: Received) -> None:
        """Mark one message as accounted for."""
        if not self.is_outstanding(record):
            return
        self._taken[record.seq] = 1
        self._count -= 1
        index = self._index(record.data)
        if index.get(record.data) is record:
            del index[record.data]

    def take_all(self) -> None:
        """Mark everything received so far as accounted for."""
        self._cleared = self.total
        self._count = 0
        self._texts.clear()
        self._binaries.clear()

    def outstanding_count(self) -> int:
        """How many messages are not accounted for."""
        return self._count

    def since(self, seq: int) -> list[Received]:
        """Every message numbered ``seq`` or later, outstanding or not."""
        return self.history[seq:]

    account_for = Renamed("take")
    account_for_all = Renamed("take_all")

    def first_equal(self, data: Data, since: int = 0) -> Received | None:
        """The oldest outstanding message equal to ``data`` (a binary message never
        equals a text) and numbered ``since`` or later."""
        entry = self._index(data).get(data)
        if entry is None:
            return None
        if isinstance(entry, Received):
            return entry if entry.seq >= since and self.is_outstanding(entry) else None
        records = entry.records
        while entry.start < len(records) and not self.is_outstanding(records[entry.start]):
            entry.start += 1  # accounted for since it arrived
        if entry.start > len(records) // 2:
            del records[: entry.start]  # amortised: each copy removed was skipped once
            entry.start = 0
        at = bisect_left(records, since, lo=entry.start, key=lambda record: record.seq)
        for index in range(at, len(records)):
            if self.is_outstanding(records[index]):
                return records[index]
        return None

    def first_matching(self, test: MessageTest, since: int = 0) -> Received | None:
        """The oldest outstanding message numbered ``since`` or later that passes ``test``."""
        for record in self._outstanding_from(since):
            if test(record):
                return record
        return None

    def _outstanding_from(self, since: int) -> Iterator[Received]:
        """The outstanding messages numbered ``since`` or later, oldest first."""
        seq = max(since, self._cleared)
        while (seq := self._taken.find(0, seq)) != -1:
            yield self.history[seq]
            seq += 1

    def _index(self, data: Data) -> dict[Data, Received | _Copies]:
        return self._binaries if isinstance(data, bytes) else self._texts
