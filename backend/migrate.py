"""Schema changes only through the files in migrations/, applied by peewee's own runner."""

from __future__ import annotations

import logging
from pathlib import Path

import peewee as pw
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

from backend.models import ALL_MODELS

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
HISTORY_TABLE = "schema_migration"

log = logging.getLogger(__name__)


def runner(db: pw.Database) -> Runner:
    return Runner(db, directory=str(MIGRATIONS_DIR), table_name=HISTORY_TABLE)


def upgrade(db: pw.Database) -> list[str]:
    """Apply every pending migration; returns the names applied."""
    applied = runner(db).up()
    for name in applied:
        log.info("migration applied", extra={"migration": name})
    return applied


def pending(db: pw.Database) -> list[str]:
    return [m.name for m in runner(db).status() if not m.applied and m.path]


# Indexes migrations add for PostgreSQL only: pattern-ops indexes for prefix matches, and
# partial indexes of the orders the SLA sweep has still to mark.
EXTRA_INDEX_SUFFIXES = ("_prefix", "_unmarked")


def drift(db: pw.Database):
    """How the migrated schema differs from the models (falsy when it does not)."""
    diff = diff_models(db, ALL_MODELS)
    return diff._replace(
        drop_indexes=[i for i in diff.drop_indexes if not i.name.endswith(EXTRA_INDEX_SUFFIXES)]
    )
