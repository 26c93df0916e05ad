"""The bounded cache behind every cache keyed by request data."""

from __future__ import annotations

import threading
import time

import pytest

from lambda_src.lru import Lru


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now b is the oldest use

    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)


def test_get_or_make_makes_each_value_once_even_when_threads_race() -> None:
    cache: Lru[str, object] = Lru(4)
    made: list[object] = []

    def make() -> object:
        time.sleep(0.01)
        made.append(object())
        return made[-1]

    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_make("k", make))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(made) == 1 and all(r is made[0] for r in results)


def test_an_empty_cache_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one entry"):
        Lru(0)
