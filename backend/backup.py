"""Backups that restore: the database (a consistent copy, backend/database_copy.py) and
every stored file, with manifest.json saying what they hold (put back by
backend/restore.py); and the daily backup the worker makes, the last BACKUP_KEEP kept.

The key-encryption key is not in a backup: the signing keys travel sealed in the database
and open only under the KEY_ENCRYPTION_KEY they were sealed with, kept elsewhere.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import IO

from flask import current_app

from backend import clock, database_copy, progress, storage
from backend.db import database

FORMAT_VERSION = 1
KIND = "citycode-backup"  # what marks a folder as one of ours, for the retention to delete
MANIFEST = "manifest.json"
FILES = "files"
CHUNK_BYTES = 1024 * 1024

log = logging.getLogger(__name__)

Shown = Callable[[Iterable, str], Iterable]


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message says why and what to do."""


# -- backing up -------------------------------------------------------------------------
def make(dest: Path, shown: Shown = progress.quietly) -> dict:
    """A backup into `dest` (made, or an empty folder): the database, then every stored
    file, then the manifest, which is written last: a folder with one is a whole backup."""
    created = _claim(dest)
    try:
        copied = database_copy.copy(database.obj, dest)
        # After the database: a file is stored before the row that names it, so every row
        # in the copy finds its file here (a file stored since is here too, unused).
        files = _copy_files(storage.files(), dest / FILES, shown)
        manifest = _manifest(copied, copied_hashing(dest / copied.file), files)
        (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    except BaseException:
        _discard(dest, created)
        raise
    log.info("backup made", extra={"rows": sum(copied.tables.values()), "files": len(files)})
    return manifest


def _claim(dest: Path) -> bool:
    """Make `dest`, or take it if it is an empty folder; whether it was made here."""
    if not dest.exists():
        # Residents' personal data: readable by the service's own user only.
        dest.mkdir(parents=True, mode=0o700)
        dest.chmod(0o700)  # mkdir's mode is filtered by the umask; this is not
        return True
    if not dest.is_dir():
        raise BackupError(f"{dest} is a file; a backup goes into a new or empty folder")
    if any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty; a backup goes into a new or empty folder")
    dest.chmod(0o700)
    return False


def _discard(dest: Path, created: bool) -> None:
    """What a failed backup left: the folder if it was made for it, else what is in it."""
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _copy_files(store, folder: Path, shown: Shown) -> list[dict]:
    entries = []
    for key in shown(list(store.keys()), "files copied"):
        try:
            stored = store.get(key)
        except storage.Missing:
            continue  # deleted since it was listed: a discarded upload no row names
        target = file_path(folder, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        size, digest = copied_hashing(stored.content, target)
        entries.append({"key": key, "bytes": size, "sha256": digest})
    return entries


def _manifest(copied: database_copy.Copied, dumped: tuple[int, str], files: list[dict]) -> dict:
    return {
        "kind": KIND,
        "format_version": FORMAT_VERSION,
        "created_at": clock.now().isoformat(timespec="seconds").replace("+00:00", "Z"),
        "code_version": _code_version(),
        "database": {
            "engine": copied.engine,
            "file": copied.file,
            "bytes": dumped[0],
            "sha256": dumped[1],
            "latest_migration": copied.latest_migration,
            "tables": copied.tables,
        },
        "files": {
            "count": len(files),
            "bytes": sum(entry["bytes"] for entry in files),
            "list": files,
        },
    }


def _code_version() -> dict:
    version = {"package": importlib.metadata.version("citycode")}
    commit = _git_commit()
    if commit:
        version["git_commit"] = commit
    return version


def _git_commit() -> str | None:
    """The checkout's commit, where the code runs from one and git is at hand."""
    root = Path(__file__).resolve().parent.parent
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(
            [git, "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


# -- the daily backup -------------------------------------------------------------------
def daily() -> Path | None:
    """Into BACKUP_DIR/<UTC time>/, then all but the last BACKUP_KEEP deleted; nothing
    when BACKUP_KEEP is 0."""
    config = current_app.config["CITYCODE"]
    if not config.backup_keep:
        return None
    root = Path(config.backup_dir)
    dest = root / clock.now().strftime("%Y%m%dT%H%M%SZ")
    make(dest)
    prune(root, config.backup_keep)
    return dest


def prune(root: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` of our backups in `root`; a folder without our
    manifest (someone else's, or a backup that did not finish) is left alone."""
    ours = sorted(_backups_in(root))
    old = [path for _, path in ours[: max(len(ours) - keep, 0)]]
    for path in old:
        shutil.rmtree(path)
        log.info("old backup deleted", extra={"backup": path.name})
    return old


def _backups_in(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for folder in root.iterdir():
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and manifest.get("kind") == KIND:
            yield str(manifest.get("created_at", "")), folder


# -- bytes ------------------------------------------------------------------------------
def file_path(folder: Path, key: str) -> Path:
    path = (folder / key).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise BackupError(f"a key outside the backup's files: {key!r}")
    return path


def copied_hashing(content: Path | IO[bytes], target: Path | None = None) -> tuple[int, str]:
    """A file (a path) or a stream (object storage's) read once, copied to `target` if
    given: its size and SHA-256."""
    source = content.open("rb") if isinstance(content, Path) else content
    digest, size = hashlib.sha256(), 0
    with source, target.open("wb") if target else nullcontext() as out:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
            if out is not None:
                out.write(chunk)
    return size, digest.hexdigest()
