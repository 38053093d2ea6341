"""A steady load for the fault tests and bench/faults.py: clients asking again and again,
every answer kept with when it was asked and how long it took."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Load:
    """`clients` threads each calling `ask` once every `every` seconds (less the time the
    answer took) until the `with` block ends; `answers` holds (asked at, answer, seconds)
    with time.monotonic()'s clock."""

    def __init__(self, ask: Callable[[], object], clients: int, every: float):
        self.answers: list[tuple[float, object, float]] = []
        self._ask, self._every, self._stop = ask, every, threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(clients)]

    def _run(self) -> None:
        while not self._stop.is_set():
            asked = time.monotonic()
            answer = self._ask()
            took = time.monotonic() - asked
            self.answers.append((asked, answer, took))
            time.sleep(max(0.0, self._every - took))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def between(self, start: float, end: float) -> list[tuple[float, object, float]]:
        return [a for a in self.answers if start <= a[0] < end]

    def seconds(self) -> list[float]:
        return [took for _, _, took in self.answers]


def assert_whole_within(seconds: float, served: Callable[[], bool]) -> None:
    """From now, `served()` comes true within `seconds` (a fault just mended)."""
    mended = time.monotonic()
    while not served():
        assert time.monotonic() - mended < seconds, f"still refusing {seconds} s after the thaw"
        time.sleep(0.02)
