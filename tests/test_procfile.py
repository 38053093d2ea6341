"""deploy/Procfile, as honcho runs it: the web and the worker of one machine, started and
stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
    try:
        deadline = time.monotonic() + 60
        while True:
            assert honcho.poll() is None and time.monotonic() < deadline, "the web never answered"
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
    finally:
        os.killpg(honcho.pid, signal.SIGINT)
        output = honcho.communicate(timeout=60)[0].decode(errors="replace")
    assert "web.1" in output and "worker.1" in output
    assert "worker: 4 threads on sqlite:///" in output  # the engine started on its queue
