"""Rate limits: per client on login and refresh, per user on writes; 429 in the error shape."""

from __future__ import annotations

from backend import create_app
from tests.factories import ApiClient

# The limits here are per day: the limiter's windows start afresh on each period's turn,
# and a per-minute window would let a slow run's requests straddle the minute and pass.


def test_login_is_limited_per_client_with_retry_after(config):
    app = create_app(config.replace(ratelimit_login="3 per day"))
    http = app.test_client()
    codes = [
        http.post("/api/v1/auth/login", json={"code": f"zed.{i}"}).status_code for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    limited = http.post("/api/v1/auth/login", json={"code": "zed.9"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    body = limited.get_json()
    assert body["code"] == 429 and body["request_id"]
    other_client = http.post(
        "/api/v1/auth/login", json={"code": "yan.1"}, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert other_client.status_code == 200


def test_writes_are_limited_per_user(config):
    app = create_app(config.replace(ratelimit_writes="2 per day"))
    alice = ApiClient(app).login("alice")
    bob = ApiClient(app).login("bob")
    # Leaving a community one never joined: a write that changes nothing, so it can repeat.
    leave = "/api/v1/resident/memberships/999999"
    codes = [alice.delete(leave).status_code for _ in range(3)]
    assert codes == [404, 404, 429]
    assert bob.delete(leave).status_code == 404


def test_reads_are_not_write_limited(config):
    app = create_app(config.replace(ratelimit_writes="1 per day"))
    alice = ApiClient(app).login("alice")
    assert all(alice.get("/api/v1/me").status_code == 200 for _ in range(5))


def test_behind_one_proxy_residents_are_told_apart_by_their_own_address(config):
    app = create_app(config.replace(ratelimit_login="3 per day", proxy_hops=1))
    http = app.test_client()
    codes = [
        http.post(
            "/api/v1/auth/login",
            json={"code": f"neighbour{i}.x"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
            headers={"X-Forwarded-For": f"10.0.0.{i}"},
        ).status_code
        for i in range(6)
    ]
    assert codes == [200] * 6


def test_refresh_is_limited_per_token_not_per_shared_address(config):
    # A carrier NAT puts many phones behind one address; each refreshes its own token.
    residents = [ApiClient(create_app(config)).login(f"phone{i}") for i in range(4)]
    app = create_app(config.replace(ratelimit_login="2 per day"))
    for resident in residents:
        refreshed = app.test_client().post(
            "/api/v1/auth/refresh", json={"refresh_token": resident.tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.get_json()
    spent = {"refresh_token": "y" * 43}
    codes = [
        app.test_client().post("/api/v1/auth/refresh", json=spent).status_code for _ in range(3)
    ]
    assert codes == [401, 401, 429]


def test_with_redis_down_logins_and_writes_still_go_through(config):
    app = create_app(config.replace(ratelimit_storage_uri="redis://127.0.0.1:6390/7"))
    alice = ApiClient(app).login("alice")
    assert alice.post("/api/v1/auth/logout", json={"refresh_token": "x" * 40}).status_code == 204


def test_made_up_refresh_tokens_from_one_address_are_limited_too(config):
    app = create_app(config.replace(ratelimit_refresh="5 per day"))
    http = app.test_client()
    codes = [
        http.post(
            "/api/v1/auth/refresh", json={"refresh_token": f"made-up-token-{n:02d}" + "z" * 30}
        ).status_code
        for n in range(7)
    ]
    assert codes == [401] * 5 + [429] * 2


def test_open_data_reads_are_limited_per_address_and_scans_are_not(config, make):
    app = create_app(config.replace(ratelimit_public="3 per day"))
    http = app.test_client()
    codes = [http.get("/api/v1/public/shops").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = http.get("/api/v1/public/shops.geojson?bbox=121.4,31.1,121.5,31.2")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["code"] == 429
    other = http.get("/api/v1/public/shops", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200
    places = make.region_tree()
    code = make.code_of(make.shop("wang", places["street_a"]))
    resident = ApiClient(app).login("carol")
    assert [resident.get(f"/api/v1/scan/{code}").status_code for _ in range(5)] == [200] * 5
