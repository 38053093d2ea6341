"""Long commands run by hand show a progress bar on a terminal, and only their summary
anywhere else (cron, CI, a pipe)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from backend import progress


def test_the_work_is_the_same_with_or_without_a_bar():
    assert list(progress.shown(range(5), "items")) == [0, 1, 2, 3, 4]
    assert list(progress.quietly(range(5), "items")) == [0, 1, 2, 3, 4]


def test_without_a_terminal_a_command_prints_its_summary_only(app, make, places):
    make.shop("owner", places["street_a"])
    make.shop("owner2", places["street_b"], name="街角咖啡")
    result = app.test_cli_runner().invoke(args=["verify-chains"])
    assert result.exit_code == 0, result.output
    # Its output and its errors together: the summary, and no bar.
    assert result.output == (
        "shops: 2, chains ok: 2, broken: 0\nwork orders: 0, chains ok: 0, broken: 0\n"
    )


def on_terminal(config, *args: str) -> tuple[subprocess.CompletedProcess, str]:
    """`citycode *args` with its errors on a terminal (where the bar goes) and its output
    on a pipe: what it ended with, and what the terminal showed."""
    terminal, its_end = pty.openpty()
    env = {
        **os.environ,
        "DATABASE_URL": config.database_url,
        "KEY_ENCRYPTION_KEY": config.key_encryption_key,
        "WECHAT_API_BASE": config.wechat_api_base,
        "WECHAT_APPID": config.wechat_appid,
        "WECHAT_SECRET": config.wechat_secret,
        "CITYCODE_ENV": "development",
    }
    citycode = Path(sys.executable).parent / "citycode"
    done = subprocess.run(
        [str(citycode), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=its_end,
        timeout=120,
        check=False,
    )
    os.close(its_end)
    shown = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)
    return done, shown.decode(errors="replace")


def test_on_a_terminal_the_command_counts_the_shops_off(config, make, places):
    make.shop("owner", places["street_a"])
    make.shop("owner2", places["street_b"], name="街角咖啡")
    done, shown = on_terminal(config, "verify-chains")
    assert done.returncode == 0
    assert done.stdout.decode() == (
        "shops: 2, chains ok: 2, broken: 0\nwork orders: 0, chains ok: 0, broken: 0\n"
    )
    assert "lifecycle chains" in shown and "2/2" in shown


def test_on_a_terminal_seeding_the_demo_counts_its_shops_off(config):
    from backend.shops import demo as shops_demo

    done, shown = on_terminal(config, "seed-demo")
    assert done.returncode == 0, shown
    assert "demo shops" in shown and f"{len(shops_demo.SHOPS)}/{len(shops_demo.SHOPS)}" in shown
    assert "demo shops" not in done.stdout.decode()
