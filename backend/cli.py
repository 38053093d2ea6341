"""Commands a newcomer and an operator need: upgrade, seed-demo, print-codes, create-staff,
rotate-keys, the sweeps by hand, the worker and the outbox's state."""

from __future__ import annotations

import json

import click
from flask.cli import FlaskGroup, with_appcontext

from backend import migrate, progress, tokens
from backend.db import database, write_transaction
from backend.errors import DomainError


@click.command("upgrade")
@with_appcontext
def upgrade_command():
    """Apply every pending migration (SQLite or PostgreSQL)."""
    applied = migrate.upgrade(database.obj)
    click.echo(f"applied: {', '.join(applied)}" if applied else "database is at head")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load a demo district: regions, departments, staff of each role, shops."""
    from backend import seed

    with database.connection_context():
        summary = seed.seed_demo(shown=progress.shown)
    for line in summary:
        click.echo(line)


@click.command("print-codes")
@click.argument("street_code")
@click.option("--zip", "as_zip", is_flag=True, help="one PNG sticker per shop, not A4 sheets")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default=None)
@with_appcontext
def print_codes_command(street_code, as_zip, out):
    """Every active shop's code in a street, for the print shop: A4 sheets (PDF) or a ZIP."""
    from backend.errors import NotFound
    from backend.shops import printing

    with database.connection_context():
        try:
            street, entries = printing.street_codes_for_operator(street_code)
        except NotFound:
            raise click.BadParameter(f"no street with code {street_code}") from None
        if as_zip:
            body = printing.street_codes_zip(entries, shown=progress.shown)
        else:
            body = printing.street_codes_pdf(street, entries, shown=progress.shown)
    path = out or f"{street.code}.{'zip' if as_zip else 'pdf'}"
    with open(path, "wb") as file:
        file.write(body)
    click.echo(f"{street.name}: {len(entries)} shops, {len(body)} bytes → {path}")


def _client_key_command(kind: str, what: str):
    @click.argument("name")
    @click.option("--region", "region_code", help="code of the region it speaks for")
    @click.option("--revoke", is_flag=True, help="revoke the key of this name")
    @with_appcontext
    def command(name, region_code, revoke):
        from backend import clientkeys

        with database.connection_context():
            try:
                if revoke:
                    clientkeys.revoke(kind, name)
                    click.echo(f"{what} {name}: key revoked")
                    return
                if not region_code:
                    raise click.UsageError("--region is needed to make a key")
                row, key = clientkeys.issue(kind, name, region_code)
            except DomainError as exc:
                raise click.ClickException(exc.message) from None
        click.echo(f"{what} {name} of {row.region.name}; key (shown once): {key}")

    return command


device_key_command = click.command(
    "device-key", help="Make (or --revoke) the key a device sends its events with."
)(_client_key_command("device", "device"))
open311_key_command = click.command(
    "open311-key", help="Make (or --revoke) the api_key an Open311 client posts requests with."
)(_client_key_command("open311", "Open311 client"))


@click.command("create-staff")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["inspector", "cadre", "admin"]))
@click.option("--region", "region_code", required=True, help="code of the scope region")
@click.option("--phone", default=None)
@with_appcontext
def create_staff_command(name, role, region_code, phone):
    """Create a staff account and print its one-time binding code."""
    from backend.models import Region
    from backend.people.staffing import create_staff, issue_binding_code

    with database.connection_context(), write_transaction():
        region = Region.get_or_none(Region.code == region_code)
        if region is None:
            raise click.BadParameter(f"no region with code {region_code}", param_hint="--region")
        staff = create_staff(name=name, role=role, region=region, phone=phone)
        code = issue_binding_code(staff)
    click.echo(f"staff #{staff.id} {role} of {region.name}; binding code (shown once): {code}")


@click.command("rotate-keys")
@click.option("--purpose", multiple=True, type=click.Choice(["access", "resident", "proof"]))
@with_appcontext
def rotate_keys_command(purpose):
    """Add fresh signing keys; the old ones keep verifying until the grace period ends."""
    keys = tokens.key_set()
    for kid in keys.rotate(purpose) if purpose else keys.rotate():
        click.echo(f"new key {kid}")


@click.command("sweep-licences")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="pretend today is this date (Asia/Shanghai)",
)
@with_appcontext
def sweep_licences_command(today):
    """Append licence.expiring/expired and certificate expiries once each; notify owners;
    publish grades that time has changed."""
    from backend.sweeps import sweep_licences

    with database.connection_context():
        report = sweep_licences(today.date() if today else None, shown=progress.shown)
    click.echo(
        f"expiring: {len(report.expiring)}, expired: {len(report.expired)}, "
        f"certificates expired: {len(report.certificates)}, "
        f"messages queued: {report.messages}, regraded: {len(report.regraded)}, "
        f"annual grades changed: {len(report.annual_regraded)}"
    )


@click.command("sweep-rectifications")
@with_appcontext
def sweep_rectifications_command():
    """Mark rectification orders past their deadline as overdue (once each)."""
    from backend.inspections.rectification import sweep_overdue

    with database.connection_context():
        marked = sweep_overdue(shown=progress.shown)
    click.echo(f"overdue: {len(marked)}")


@click.command("recheck-registry")
@click.option("--limit", type=int, default=None, help="ask about at most this many shops")
@with_appcontext
def recheck_registry_command(limit):
    """Ask the business registry about every live shop not yet asked today (the worker
    does it daily), at REGISTRY_LOOKUPS_PER_SECOND; stopped, it goes on where it stopped."""
    from backend.shops import registry_watch

    with database.connection_context():
        report = registry_watch.recheck(limit)
    click.echo(
        f"asked: {report.asked}, ended: {len(report.ended)}"
        + (", stopped: the registry did not answer" if report.stopped_early else "")
    )


@click.command("verify-draw")
@click.argument("document", type=click.File("r", encoding="utf-8"))
def verify_draw_command(document):
    """Re-run a sampling plan's draw from its document (GET …/sampling-plans/{id}/
    document.json): exit 0 when it matches the commitment and the drawn shops and teams."""
    import json

    from backend.sampling import draw

    problems = draw.verify(json.load(document))
    for problem in problems:
        click.echo(f"MISMATCH: {problem}")
    if problems:
        raise SystemExit(1)
    click.echo("the draw re-runs: commitment, shops and teams match")


@click.command("sweep-work-orders")
@with_appcontext
def sweep_work_orders_command():
    """Mark work orders past 80 % of their time warning, past their deadline overdue."""
    from backend.workorders import sla

    with database.connection_context():
        warning, overdue = sla.sweep()
    click.echo(f"work orders marked warning: {warning}, overdue: {overdue}")


@click.command("adopt-open-reports")
@with_appcontext
def adopt_open_reports_command():
    """Make work orders of the reports and complaints still open from before they existed."""
    from backend.workorders import adoption

    with database.connection_context():
        adopted = adoption.adopt_open(shown=progress.shown)
    click.echo(
        f"work orders opened for reports: {adopted['reports']}, "
        f"for complaints: {adopted['complaints']}"
    )


@click.command("export-lives")
@click.argument("folder", type=click.Path(file_okay=False))
@with_appcontext
def export_lives_command(folder):
    """The open shops and their inspections as a LIVES feed: its five CSV files in FOLDER."""
    from pathlib import Path

    from backend.opendata import lives_export

    with database.connection_context():
        counts = lives_export.write_folder(Path(folder))
    for name, rows in counts.items():
        click.echo(f"{name}: {rows} rows")


@click.command("import-lives")
@click.argument("path", type=click.Path(exists=True))
@click.option("--region", "region_code", required=True, help="the street or community")
@click.option("--category", default="catering", show_default=True, help="the shops' category")
@click.option("--json", "as_json", is_flag=True, help="print one summary object")
@with_appcontext
def import_lives_command(path, region_code, category, as_json):
    """Import a LIVES feed (a folder, a ZIP, or one flattened CSV) as shops of a region,
    their inspections onto their records; the same feed again changes nothing."""
    from pathlib import Path

    from backend.opendata import lives_import, lives_read

    try:
        with database.connection_context():
            summary = lives_import.import_feed(Path(path), region_code, category)
    except lives_read.NotLives as refused:
        summary = {"refused": lives_read.described(refused)}
    except DomainError as exc:
        summary = {"refused": {"reason": exc.key, "message": exc.message}}
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(lives_import.report(summary))
    if "refused" in summary:
        raise SystemExit(2)


@click.command("purge")
@with_appcontext
def purge_command():
    """Delete used resident-code jti's past their code's expiry, logins long dead, spent
    Idempotency-Keys, messages final for half a year and periodic runs two weeks old."""
    from backend.purge import purge

    with database.connection_context():
        report = purge()
    click.echo(
        f"resident code uses: {report.code_uses}, refresh tokens: {report.refresh_tokens}, "
        f"ended logins: {report.ended_logins}, idempotency keys: {report.idempotency_keys}, "
        f"messages: {report.messages}, scheduled runs: {report.scheduled_runs}"
    )


@click.command("verify-chains")
@with_appcontext
def verify_chains_command():
    """Walk every shop's lifecycle chain and every work order's history; exit 1 if any
    link is broken."""
    from backend.shops.record import verify_all
    from backend.workorders import history

    with database.connection_context():
        shops = verify_all(shown=progress.shown)
        orders = history.verify_all(shown=progress.shown)
    broken = 0
    for label, results, name in (
        ("shops", shops, lambda shop: f"{shop.public_id} {shop.name}"),
        ("work orders", orders, lambda order: order.number),
    ):
        failed = [(row, verdict) for row, verdict in results if not verdict.ok]
        for row, verdict in failed:
            click.echo(f"BROKEN {name(row)}: seq {verdict.first_broken_seq} ({verdict.reason})")
        ok = len(results) - len(failed)
        click.echo(f"{label}: {len(results)}, chains ok: {ok}, broken: {len(failed)}")
        broken += len(failed)
    if broken:
        raise SystemExit(1)


@click.command("worker")
@click.option("--threads", default=4, show_default=True, help="tasks run at once")
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="run the schedule (sweeps, purge, pick-up); one worker of several is enough",
)
@with_appcontext
def worker_command(threads, periodic):
    """Run the background engine: deliver the outbox's messages, and the sweeps on their
    schedule. Ctrl-C stops it after the tasks in hand; a task it never finished is run
    again (the outbox's pick-up finds its message)."""
    from flask import current_app

    from backend import engine, metrics

    config = current_app.config["CITYCODE"]
    if engine.huey.immediate:
        raise click.ClickException("TASK_QUEUE_URL=memory:// runs tasks where they are queued")
    click.echo(
        f"worker: {threads} threads on "
        f"{engine.queue_location(config.task_queue_url, config.database_url)}"
    )
    engine.serve_as_consumer(config)
    metrics.serve_worker(config.worker_metrics_host, config.worker_metrics_port)
    # Polling an empty SQLite queue costs little: at most a second before a new message.
    engine.huey.create_consumer(
        workers=threads,
        worker_type="thread",
        periodic=periodic,
        max_delay=1.0,
        check_worker_health=True,
    ).run()


@click.command("outbox")
@with_appcontext
def outbox_command():
    """The outbox: messages by status and template, and the oldest pending one's age."""
    from backend import notify

    with database.connection_context():
        stats = notify.stats()
    click.echo(" ".join(f"{status}: {n}" for status, n in stats["by_status"].items()))
    for template, counts in sorted(stats["by_template"].items()):
        click.echo(f"  {template}: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    click.echo(f"oldest pending: {stats['oldest_pending_seconds']:.0f} s")


COMMANDS = (
    upgrade_command,
    seed_demo_command,
    print_codes_command,
    device_key_command,
    open311_key_command,
    create_staff_command,
    rotate_keys_command,
    sweep_licences_command,
    sweep_rectifications_command,
    recheck_registry_command,
    verify_draw_command,
    sweep_work_orders_command,
    adopt_open_reports_command,
    export_lives_command,
    import_lives_command,
    purge_command,
    verify_chains_command,
    worker_command,
    outbox_command,
)


def init_app(app) -> None:
    from backend.backup_commands import COMMANDS as BACKUP_COMMANDS

    for command in (*COMMANDS, *BACKUP_COMMANDS):
        app.cli.add_command(command)


def _create_app():
    from backend import create_app

    return create_app()


def main():
    FlaskGroup(create_app=_create_app, add_default_commands=True, load_dotenv=False)()
