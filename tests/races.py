"""Requests that arrive at the same moment: a double tap, two people acting at once.

On PostgreSQL these race for real (row locks decide); SQLite takes one writer at a
time, so there the same assertions check the outcome without the race.
"""

from __future__ import annotations

import threading


def at_once(*calls) -> list:
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
