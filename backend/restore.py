"""Putting a backup (backend/backup.py) back: into an empty database and storage, or with
`force` over what is there; every file checked against the manifest before anything is
written, and the tables' counts after.
"""

from __future__ import annotations

import json
import mimetypes
import tempfile
from dataclasses import dataclass
from pathlib import Path

from backend import database_copy, migrate, progress, storage
from backend.backup import (
    FILES,
    FORMAT_VERSION,
    KIND,
    MANIFEST,
    BackupError,
    Shown,
    copied_hashing,
    file_path,
)
from backend.db import database

# Rows the migrations themselves write: a freshly migrated database holds them and is
# still empty for a restore, which replaces them with the backup's.
MIGRATION_ROWS = (migrate.HISTORY_TABLE, "service_category", "sampling_item")


@dataclass(frozen=True)
class Restored:
    manifest: dict
    files_written: int
    pending_migrations: list[str]


def restore(source: Path, force: bool = False, shown: Shown = progress.quietly) -> Restored:
    """The backup in `source` into the configured database and storage. Refused while
    either holds anything, unless `force`: then the files are written over and the
    database replaced. The database's copy and every file are checked against the
    manifest before anything is written, and the tables' counts after."""
    manifest = read_manifest(source)
    db = database.obj
    if manifest["database"]["engine"] != database_copy.engine_of(db):
        raise BackupError(
            f"the backup is of a {manifest['database']['engine']} database; DATABASE_URL "
            f"names {database_copy.engine_of(db)}"
        )
    _check_migration_known(db, manifest)
    store = storage.files()
    if not force:
        _refuse_unless_empty(db, store)
    _check_database_file(source, manifest["database"])
    entries = manifest["files"]["list"]
    for entry in shown(entries, "files checked"):
        _check_file(source, entry)
    # The files first: storage failing half-way leaves the database as it was, and a
    # file no row names yet is harmless.
    for entry in shown(entries, "files written"):
        _write_file(store, source, entry)
    database_copy.restore(db, source, manifest["database"]["tables"])
    _check_counts(db, manifest["database"]["tables"])
    return Restored(manifest, len(entries), migrate.pending(db))


def read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(
            f"{source} holds no {MANIFEST}: not a backup, or not a whole one"
        ) from None
    except ValueError:
        raise BackupError(f"{source / MANIFEST} is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise BackupError(f"{source / MANIFEST} is not a CityCode backup's manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"the backup's format is version {manifest.get('format_version')}; "
            f"this code reads version {FORMAT_VERSION}"
        )
    return manifest


def _check_migration_known(db, manifest: dict) -> None:
    latest = manifest["database"]["latest_migration"]
    known = {migration.name for migration in migrate.runner(db).migrations()}
    if latest is not None and latest not in known:
        made_by = manifest.get("code_version", {})
        raise BackupError(
            f"the backup's schema is at migration {latest}, which this code does not have: "
            f"restore it with the code that made it ({made_by})"
        )


def _refuse_unless_empty(db, store) -> None:
    """A restore replaces whatever is there: only into an empty database (one freshly
    migrated counts as empty) and empty storage, unless forced."""
    counts = database_copy.row_counts(db)
    held = [f"{table} {n}" for table, n in counts.items() if n and table not in MIGRATION_ROWS]
    problems = []
    if held:
        more = f" and {len(held) - 5} more tables" if len(held) > 5 else ""
        problems.append("the database holds data (rows: " + ", ".join(held[:5]) + more + ")")
    stored = next(iter(store.keys()), None)
    if stored is not None:
        problems.append(f"the file storage holds files (e.g. {stored})")
    if problems:
        raise BackupError(
            "; ".join(problems) + ". Restore into an empty database and storage, or give "
            "--force to replace the database and write over the files"
        )


def _check_database_file(source: Path, described: dict) -> None:
    size, digest = copied_hashing(source / described["file"])
    if (size, digest) != (described["bytes"], described["sha256"]):
        raise BackupError(
            f"{described['file']}: its SHA-256 does not match the manifest's: the backup's "
            "copy of the database was altered or damaged"
        )


def _check_file(source: Path, entry: dict) -> None:
    path = file_path(source / FILES, entry["key"])
    if not path.is_file():
        raise BackupError(f"{entry['key']}: in the manifest but not in the backup")
    size, digest = copied_hashing(path)
    _compare(entry, size, digest)


def _write_file(store, source: Path, entry: dict) -> None:
    """Copied aside and checked as it is copied: what goes into storage is what was checked."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "file"
        size, digest = copied_hashing(file_path(source / FILES, entry["key"]), copy)
        _compare(entry, size, digest)
        kind = mimetypes.guess_type(entry["key"])[0] or "application/octet-stream"
        store.put_file(entry["key"], copy, kind)


def _compare(entry: dict, size: int, digest: str) -> None:
    if (size, digest) != (entry["bytes"], entry["sha256"]):
        raise BackupError(
            f"{entry['key']}: its SHA-256 does not match the manifest's: the backup's copy "
            "was altered or damaged"
        )


def _check_counts(db, expected: dict[str, int]) -> None:
    counts = database_copy.row_counts(db)
    wrong = [
        f"{table} (manifest {n}, restored {counts.get(table, 'no table')})"
        for table, n in expected.items()
        if counts.get(table) != n
    ]
    if wrong:
        raise BackupError("restored counts differ from the manifest: " + ", ".join(wrong))
