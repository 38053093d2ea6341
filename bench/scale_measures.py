"""The in-process half of bench/scale.py: what an admin or the engine runs over the whole
district, timed through the domain functions the routes and the engine call.

- a policy preview (bench/policies.py's two audiences): the median of a few calls after one,
  as configured (estimated from a sample at scale) and counted exactly;
- the SLA sweep (backend/workorders/sla.py): once with every open order's mark reset,
  so that it marks all those due (what the first pass after a long pause does), then
  again after a VACUUM, finding nothing new (what its every-minute pass costs);
- a random-sampling plan over the district (bench/sampling.py's `one_run`): commit
  (the lists frozen) and draw (the tasks written), the draw verified as an auditor would;
- the LIVES export (backend/opendata/lives_export.py `rebuild`): the nightly ZIP.
"""

from __future__ import annotations

import itertools
import statistics
import time

from flask import current_app
from policies import OVER_60, three_conditions
from sampling import one_run

from backend.db import database, write_transaction
from backend.models import Region, StaffAccount, WorkOrder
from backend.opendata import lives_export
from backend.policies import preview
from backend.workorders import sla
from backend.workorders.orders import TIMED_STATES

PREVIEW_RUNS = 3


def _timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def previews(admin: StaffAccount) -> dict[str, float]:
    """Each audience previewed as configured (estimated once the district is large), then
    counted whole (PREVIEW_SAMPLE_MATCHES=0), as every preview was before the estimate."""
    streets = list(Region.select().where(Region.level == "street").order_by(Region.id))
    configured = current_app.config["CITYCODE"]
    found = {}
    audiences = (
        ("preview shops", "shops", three_conditions(streets)),
        ("preview residents", "residents", OVER_60),
    )
    kinds = (("s", configured), ("exact s", configured.replace(preview_sample_matches=0)))
    try:
        for (label, target, audience), (kind, config) in itertools.product(audiences, kinds):
            current_app.config["CITYCODE"] = config
            name = f"{label} {kind}"
            found[name], answer = _median_preview(admin, {"target": target, "audience": audience})
            print(
                f"  {name:<24} {found[name]:8.3f}   ({answer['total']} reached, ± "
                f"{answer['margin']}; read {answer['sampled_share']:.2%})",
                flush=True,
            )
    finally:
        current_app.config["CITYCODE"] = configured
    return found


def _median_preview(admin: StaffAccount, asked: dict) -> tuple[float, dict]:
    preview.preview(admin, asked)  # the first call fills the caches the others find
    took = []
    for _ in range(PREVIEW_RUNS):
        seconds, answer = _timed(lambda: preview.preview(admin, asked))
        took.append(seconds)
    return statistics.median(took), answer


def sweeps() -> dict[str, float]:
    with write_transaction():
        WorkOrder.update(sla="on_time").where(WorkOrder.state.in_(TIMED_STATES)).execute()
    _vacuum_orders()
    full, (warned, overdue) = _timed(sla.sweep)
    # The next minute's pass, once autovacuum has been by (migration 0031 asks it to come
    # after 2 % of the orders changed): the marks just made left dead index entries.
    _vacuum_orders()
    idle, again = _timed(sla.sweep)
    print(f"  {'sla sweep s':<22} {full:8.3f}   ({warned} warning, {overdue} overdue)")
    print(f"  {'sla sweep idle s':<22} {idle:8.3f}   ({sum(again)} marked)", flush=True)
    return {"sla sweep s": full, "sla sweep idle s": idle}


def _vacuum_orders() -> None:
    """What autovacuum does to the orders between two passes, done now."""
    database.execute_sql("VACUUM work_order")


def draws(admin: StaffAccount, number: int) -> dict[str, float]:
    committed, drawn, verified, tasks, members = one_run(admin, number)
    print(f"  {'plan commit s':<22} {committed:8.3f}")
    print(
        f"  {'plan draw s':<22} {drawn:8.3f}   ({tasks} tasks, {members} team members; "
        f"verified in {verified:.2f} s)",
        flush=True,
    )
    return {"plan commit s": committed, "plan draw s": drawn}


def export() -> dict[str, float]:
    seconds, counts = _timed(lives_export.rebuild)
    rows = ", ".join(f"{name} {n}" for name, n in counts.items() if n > 1)
    print(f"  {'lives export s':<22} {seconds:8.3f}   ({rows})", flush=True)
    return {"lives export s": seconds}
