"""The service as gunicorn serves it: what only a real server on a real socket shows."""

from __future__ import annotations

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
