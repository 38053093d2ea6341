"""deploy/Procfile, as honcho runs it: the web and the worker of one machine, started and
stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.served import REPO, free_port


@pytest.mark.once
def test_honcho_starts_the_web_and_the_worker_from_the_procfile(config, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": config.database_url,
        "CITYCODE_INSTANCE_DIR": str(tmp_path / "instance"),
        "TASK_QUEUE_URL": f"sqlite:///{tmp_path / 'tasks.db'}",
        "WECHAT_API_BASE": config.wechat_api_base,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    honcho = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("honcho")),
            "-f",
            "deploy/Procfile",
            "-d",
            ".",
            "start",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(line.decode(errors="replace") for line in honcho.stdout),
        daemon=True,
    )
    reader.start()
    try:
        deadline = time.monotonic() + 60
        # Each process starts at its own pace: stop only once the web answers and the
        # engine has said it runs, or the worker is killed before it has spoken.
        while not (_web_ready(port) and any("worker: 4 threads on sqlite:///" in x for x in lines)):
            assert honcho.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.3)
    finally:
        os.killpg(honcho.pid, signal.SIGINT)
        honcho.wait(timeout=60)
        reader.join(timeout=10)
    output = "".join(lines)
    assert "web.1 started" in output and "worker.1 started" in output
    assert "web.1 stopped" in output and "worker.1 stopped" in output


def _web_ready(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except requests.RequestException:
        return False
