"""What a client has received, and which of it a test has accounted for.

Every message is kept, in arrival order. A message is *outstanding* until a test
accounts for it: taking a message (:meth:`Inbox.account_for`) accounts for that
one, clearing accounts for everything received so far. Looking a message up
costs the same however many messages are held: equal messages are found
through an index, and a search that waits remembers how far it has looked, so
each new arrival is examined once.

Not thread-safe: :class:`~wsharness.client.TestWebSocket` calls it under its lock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from itertools import islice

from wsharness.records import Data, Received

MessageTest = Callable[[Received], bool]


class Inbox:
    """Every message received, and the outstanding ones among them."""

    def __init__(self) -> None:
        self.history: list[Received] = []
        """Every message ever received; ``history[n].seq == n``."""
        self._outstanding: dict[int, Received] = {}
        self._by_data: dict[tuple[bool, Data], deque[int]] = {}

    def add(self, data: Data, at: float) -> Received:
        """Record a message that has just arrived; it is outstanding."""
        record = Received(len(self.history), data, at)
        self.history.append(record)
        self._outstanding[record.seq] = record
        self._by_data.setdefault(_key(data), deque()).append(record.seq)
        return record

    @property
    def total(self) -> int:
        """How many messages were ever received."""
        return len(self.history)

    def outstanding(self) -> list[Received]:
        """The messages not yet accounted for, oldest first."""
        return list(self._outstanding.values())

    def outstanding_count(self) -> int:
        return len(self._outstanding)

    def account_for(self, record: Received) -> None:
        """Mark one message as accounted for."""
        self._outstanding.pop(record.seq, None)

    def account_for_all(self) -> None:
        """Mark everything received so far as accounted for."""
        self._outstanding.clear()
        self._by_data.clear()

    def first_equal(self, data: Data, since: int = 0) -> Received | None:
        """The oldest outstanding message equal to ``data`` (a binary message never
        equals a text) and numbered ``since`` or later."""
        seqs = self._by_data.get(_key(data))
        if not seqs:
            return None
        while seqs and seqs[0] not in self._outstanding:
            seqs.popleft()  # accounted for since it was indexed
        for seq in seqs:
            if seq >= since and seq in self._outstanding:
                return self._outstanding[seq]
        return None

    def first_matching(self, test: MessageTest, since: int = 0) -> Received | None:
        """The oldest outstanding message numbered ``since`` or later that passes ``test``.

        Looks at whichever is shorter: the messages since ``since``, or the
        outstanding ones.
        """
        candidates: Iterable[Received]
        if self.total - since <= len(self._outstanding):
            candidates = (
                record
                for record in islice(self.history, since, None)
                if record.seq in self._outstanding
            )
        else:
            candidates = (record for record in self._outstanding.values() if record.seq >= since)
        for record in candidates:
            if test(record):
                return record
        return None

    def since(self, seq: int) -> list[Received]:
        """Every message numbered ``seq`` or later, outstanding or not."""
        return self.history[seq:]


def _key(data: Data) -> tuple[bool, Data]:
    return isinstance(data, bytes), data
