"""A progress bar for long work run by hand: on a terminal only. Elsewhere (cron, CI, a
pipe) the command prints its one-line summary and nothing per item."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

import click


def quietly(items: Iterable, label: str) -> Iterable:  # noqa: ARG001  shown()'s signature
    """The items as they are: what the worker and the tests pass for `shown`."""
    return items


def shown(items: Iterable, label: str) -> Iterator:
    """The items, with a bar on the terminal that counts them off under `label`."""
    items = list(items)
    stream = sys.stderr
    if not stream.isatty():
        yield from items
        return
    with click.progressbar(items, label=label, file=stream, show_pos=True) as bar:
        yield from bar
