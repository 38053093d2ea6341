"""Rate limits: per client on login and refresh, per user on writes; 429 in the error shape."""
from __future__ import annotations

from backend import create_app
from tests.factories import ApiClient


def test_login_is_limited_per_client_with_retry_after(config):
    app = create_app(config.replace(ratelimit_login="3 per minute"))
    http = app.test_client()
    codes = [http.post("/api/v1/auth/login", json={"code": f"zed.{i}"}).status_code
             for i in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = http.post("/api/v1/auth/login", json={"code": "zed.9"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    body = limited.get_json()
    assert body["code"] == 429 and body["request_id"]
    other_client = http.post("/api/v1/auth/login", json={"code": "yan.1"},
                             environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_client.status_code == 200


def test_writes_are_limited_per_user(config):
    app = create_app(config.replace(ratelimit_writes="2 per minute"))
    alice = ApiClient(app).login("alice")
    bob = ApiClient(app).login("bob")
    body = {"refresh_token": "x" * 40}
    codes = [alice.post("/api/v1/auth/logout", json=body).status_code for _ in range(3)]
    assert codes == [204, 204, 429]
    assert bob.post("/api/v1/auth/logout", json=body).status_code == 204


def test_reads_are_not_write_limited(config):
    app = create_app(config.replace(ratelimit_writes="1 per minute"))
    alice = ApiClient(app).login("alice")
    assert all(alice.get("/api/v1/me").status_code == 200 for _ in range(5))
