"""Asking the background engine (backend/engine.py) for work, from a request or a domain,
without importing it: the engine registers each task on the app as `citycode.<name>`.

A change stands whatever the queue says. With the queue down, what was asked is logged
and left to the engine's periodic runs, which find it from the database: the outbox's
pick-up sends a message, the every-minute run pushes a policy, the nightly run makes the
open-data feed."""

from __future__ import annotations

import logging

from flask import current_app

from backend.db import after_commit

log = logging.getLogger(__name__)


def ask(task: str, *args) -> bool:
    """Put `task` on the queue now; whether the queue took it."""
    try:
        current_app.extensions[f"citycode.{task}"](*args)
    except Exception as exc:  # noqa: BLE001  any failure of the queue: a periodic run covers it
        # One line, not a traceback per request while Redis is away.
        log.warning("%s not queued (%r); the engine's periodic run will do it", task, exc)
        return False
    return True


def ask_after_commit(task: str, *args) -> None:
    """Put `task` on the queue once the write transaction in progress has committed (what
    it wrote is there for the task to read), and never if it rolls back."""
    after_commit(lambda: ask(task, *args))
