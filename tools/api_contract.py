"""Does the OpenAPI document tell the truth? schemathesis against the service as it runs.

Serves the app under gunicorn (gunicorn.conf.py) on a fresh SQLite database with the demo
data, beside the WeChat stub, and runs `schemathesis run` with every check once per kind
of caller: anonymous, resident, shopkeeper, inspector, admin. Their tokens come from a
real sign-in through the stub. schemathesis.toml holds the settings every run shares.

    python tools/api_contract.py [--role ROLE ...] [--max-examples N] [--phases ...]

The callers run in two lanes at once, each lane on an instance and a database of its
own. Exit status 0 when no check failed for any caller. A caller's run leaves out the two
operations that would end the caller's own login (logout, deleting the account): with
them, every later request of the run would be a 401 and test nothing. The anonymous
run, which has no login to end, sends them.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.served import free_port, serve  # noqa: E402  after the path is set

# Who signs in for each kind of caller: the demo data's stub users (backend/seed.py).
SIGN_IN = {
    "anonymous": None,
    "resident": "neighbour",
    "shopkeeper": "shopkeeper",
    "inspector": "inspector",
    "admin": "admin",
}
STREET, COMMUNITY = "310104003", "310104003001"  # 天平路街道, 建业里居委会
ENDS_THE_LOGIN = ("postAccountLogout", "deleteResidentAccount")


def start_stub(home: Path) -> tuple[str, subprocess.Popen]:
    port = free_port()
    stub = subprocess.Popen(
        [sys.executable, "-m", "wechat_stub", "--port", str(port)],
        cwd=REPO,
        env={**os.environ, "WECHAT_APPID": "wx_citycode_test", "WECHAT_SECRET": "test-secret"},
        stdout=(home / "stub.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/__stub__/sent", timeout=1)
            return url, stub
        except requests.RequestException:
            time.sleep(0.2)
    stub.kill()
    raise SystemExit("the WeChat stub did not start")


def prepare_database(home: Path, stub_url: str) -> str:
    url = f"sqlite:///{home / 'contract.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CITYCODE_INSTANCE_DIR": str(home / "instance"),
        # The demo's messages go to this run's stub, not to one a `make run` has on 9100.
        "WECHAT_API_BASE": stub_url,
        "WECHAT_APPID": "wx_citycode_test",
        "WECHAT_SECRET": "test-secret",
    }
    citycode = Path(sys.executable).with_name("citycode")
    for command in ("upgrade", "seed-demo"):
        subprocess.run([str(citycode), command], cwd=REPO, env=env, check=True, capture_output=True)
    return url


_SIGN_INS = itertools.count(1)  # the stub takes each js_code once, as WeChat does


def sign_in(base: str, user: str | None) -> list[str]:
    if user is None:
        return []
    answer = requests.post(
        base + "/api/v1/auth/login", json={"code": f"{user}.contract{next(_SIGN_INS)}"}, timeout=10
    )
    answer.raise_for_status()
    return ["-H", f"Authorization: Bearer {answer.json()['access_token']}"]


def write_config(home: Path, base: str, shopkeeper: list[str]) -> Path:
    """schemathesis.toml, with the demo's own shop, street and community in every path
    that names one: random ids would reach no further than a 404."""
    token = shopkeeper[1].partition(": ")[2]
    shops = requests.get(
        base + "/api/v1/merchant/shops", headers={"Authorization": token}, timeout=10
    ).json()
    config = home / "schemathesis.toml"
    config.write_text(
        (REPO / "schemathesis.toml").read_text()
        + "\n[parameters]\n"
        + f'"path.shop_id" = "{shops[0]["shop"]["id"]}"\n'
        + f'"path.street_code" = "{STREET}"\n'
        + f'"path.community_code" = "{COMMUNITY}"\n'
    )
    return config


def run_role(base: str, role: str, config: Path, args) -> int:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        base + "/api/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(args.max_examples),
        "--phases",
        args.phases,
        *sign_in(base, SIGN_IN[role]),
    ]
    if role != "anonymous":
        for operation_id in ENDS_THE_LOGIN:
            command += ["--exclude-operation-id", operation_id]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    print(f"== schemathesis as {role} ==\n{done.stdout}{done.stderr}", flush=True)
    return done.returncode


def run_lane(home: Path, stub_url: str, roles: list[str], args) -> list[str]:
    """The callers' runs one after another against an instance of their own, so that
    what one caller's requests change meets the next in the same order every time."""
    home.mkdir()
    served = serve(prepare_database(home, stub_url), home, stub_url, workers=2)
    try:
        config = write_config(home, served.base, sign_in(served.base, "shopkeeper"))
        return [role for role in roles if run_role(served.base, role, config, args)]
    finally:
        served.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", action="append", choices=list(SIGN_IN))
    parser.add_argument("--max-examples", type=int, default=3)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    args = parser.parse_args()
    roles = args.role or list(SIGN_IN)
    # Two lanes, each with its own instance and database: the two cores both busy.
    lanes = [roles[0::2], roles[1::2]]
    with tempfile.TemporaryDirectory(prefix="contract-") as tmp:
        stub_url, stub = start_stub(Path(tmp))
        try:
            with ThreadPoolExecutor(len(lanes)) as pool:
                runs = [
                    pool.submit(run_lane, Path(tmp) / f"lane{n}", stub_url, lane, args)
                    for n, lane in enumerate(lanes)
                    if lane
                ]
                failed = [role for run in runs for role in run.result()]
        finally:
            stub.terminate()
    if failed:
        print(f"schemathesis found failures as: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
