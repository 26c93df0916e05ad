"""A thread-safe mapping that keeps at most ``entries`` items, dropping the least recently used.

Every cache whose keys come from request data (an admin's spec can name any region or external
id; every admin request brings a new identity token) is one of these, so no sequence of requests
grows the container's memory without bound: its size is at most ``entries`` times the largest
key and value, and keys are bounded by the request validation that produced them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    def __init__(self, entries: int) -> None:
        if entries < 1:
            raise ValueError("an Lru holds at least one entry")
        self.entries = entries
        self._items: OrderedDict[K, V] = OrderedDict()
        # Re-entrant: ``make`` may itself use the cache (a client needs STS to assume its role).
        self._lock = threading.RLock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The cached value, or ``make()``'s (made once even when threads race for it)."""
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            value = self._items.get(key)
            if value is None:
                value = make()
                self.put(key, value)
            return value

    def pop(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
