"""The service as gunicorn serves it: what only a real server on a real socket shows."""

from __future__ import annotations

import time

from tests.served import serve


def test_an_instance_keeps_no_control_socket_another_on_the_host_would_share(
    served, database_url, wechat_stub_url, tmp_path_factory
):
    # gunicorn's control socket sits under HOME by default: two instances on one host would
    # answer each other's commands. Neither opens one.
    second = serve(database_url, served.home, wechat_stub_url)
    try:
        assert served.get("/healthz").status_code == 200
        assert second.get("/healthz").status_code == 200
        assert not (served.home / ".gunicorn").exists(), served.log_tail()
    finally:
        second.stop()


def test_a_logout_ends_the_access_token_on_every_worker_within_a_second(served):
    login = served.post("/api/v1/auth/login", json={"code": "alice.served1"}).json()
    bearer = {"Authorization": f"Bearer {login['access_token']}"}
    assert served.get("/api/v1/me", headers=bearer).status_code == 200
    assert (
        served.post(
            "/api/v1/auth/logout", json={"refresh_token": login["refresh_token"]}, headers=bearer
        ).status_code
        == 204
    )
    time.sleep(1.1)
    # Each request on a new connection: the two workers take them in turn.
    answers = {served.get("/api/v1/me", headers=bearer).status_code for _ in range(12)}
    assert answers == {401}
