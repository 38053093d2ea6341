"""A rolling deploy behind the proxy in deploy/ (HAProxy, as Debian ships it): restarting
one instance, then the other, under load, loses no request."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import IN_CI
from tests.served import REPO, free_port, serve

READ = "/api/v1/public/sampling-plans"  # a read from the database through either instance


@pytest.fixture
def haproxy_binary():
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        if IN_CI:
            pytest.fail("the rolling deploy test needs HAProxy (apt-get install haproxy)")
        pytest.skip("HAProxy is not installed")
    return binary


def _start_proxy(binary, listen, instances, log):
    env = {
        **os.environ,
        "CITYCODE_LISTEN": listen,
        "CITYCODE_WEB1": f"127.0.0.1:{instances[0].port}",
        "CITYCODE_WEB2": f"127.0.0.1:{instances[1].port}",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [binary, "-db", "-f", str(REPO / "deploy" / "haproxy.cfg")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _answers(url) -> int | None:
    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return None


def test_restarting_one_instance_then_the_other_under_load_loses_no_request(
    migrated, config, wechat_stub_url, tmp_path, haproxy_binary
):
    settings = {"RATELIMIT_ENABLED": "false"}
    homes = [tmp_path / "web1", tmp_path / "web2"]
    instances = [serve(config.database_url, home, wechat_stub_url, **settings) for home in homes]
    listen = f"127.0.0.1:{free_port()}"
    proxy = _start_proxy(haproxy_binary, listen, instances, tmp_path / "haproxy.log")
    front = f"http://{listen}"
    try:
        _until(lambda: _answers(front + READ) == 200, 20, "the proxy never answered")
        answers, stop = [], threading.Event()

        def load():  # about 20 requests a second in all
            session = requests.Session()
            while not stop.is_set():
                try:
                    answers.append(session.get(front + READ, timeout=10).status_code)
                except requests.RequestException as exc:
                    answers.append(type(exc).__name__)
                time.sleep(0.2)

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        for index, home in enumerate(homes):
            time.sleep(2)
            old = instances[index]
            old.stop()  # SIGTERM: stop accepting, finish what is in hand
            instances[index] = serve(
                config.database_url, home, wechat_stub_url, port=old.port, **settings
            )
            _until(lambda i=index: _answers(instances[i].base + "/readyz") == 200, 30, "not ready")
            time.sleep(3)  # the proxy's checks take it back (rise 2, every second)
        time.sleep(2)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        os.killpg(proxy.pid, 15)
        proxy.wait(timeout=10)
        for instance in instances:
            instance.stop()

    failed = [a for a in answers if a != 200]
    assert len(answers) > 200 and failed == [], (failed, (tmp_path / "haproxy.log").read_text())
