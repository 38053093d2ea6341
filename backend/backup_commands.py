"""The backup and restore commands (backend/backup.py, backend/restore.py), registered by
backend/cli.py with the others."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from backend import backup, progress, restore
from backend.database_copy import CopyFailed


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(dest):
    """A consistent backup into DEST (made, or an empty folder): the database, every stored
    file, and manifest.json with the row counts and each file's SHA-256."""
    try:
        manifest = backup.make(dest, shown=progress.shown)
    except (backup.BackupError, CopyFailed) as exc:
        raise click.ClickException(str(exc)) from None
    database, files = manifest["database"], manifest["files"]
    click.echo(
        f"database ({database['engine']}, migration {database['latest_migration']}): "
        f"{sum(database['tables'].values())} rows in {len(database['tables'])} tables"
    )
    click.echo(f"files: {files['count']}, {files['bytes']} bytes")
    click.echo(f"backup in {dest}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="replace a database that holds data, and write over the files in storage",
)
@with_appcontext
def restore_command(source, force):
    """Put the backup in SOURCE back into the configured database and file storage, which
    must be empty (a freshly migrated database is) unless --force; exit 1 when a file or a
    table's count differs from the manifest."""
    try:
        restored = restore.restore(source, force=force, shown=progress.shown)
    except (backup.BackupError, CopyFailed) as exc:
        raise click.ClickException(str(exc)) from None
    manifest = restored.manifest
    tables = manifest["database"]["tables"]
    click.echo(
        f"database: {sum(tables.values())} rows in {len(tables)} tables, as the manifest "
        f"counts them (backup of {manifest['created_at']})"
    )
    click.echo(f"files: {restored.files_written}, each as the manifest's SHA-256")
    if restored.pending_migrations:
        click.echo(f"pending migrations: {len(restored.pending_migrations)}; run citycode upgrade")
    click.echo("next: citycode verify-chains")


COMMANDS = (backup_command, restore_command)
