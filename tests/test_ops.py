"""Health and readiness, as a load balancer sees them."""
from __future__ import annotations

from backend import create_app


def test_health_and_ready_need_no_token(client):
    assert client.http.get("/healthz").get_json() == {"status": "ok"}
    assert client.http.get("/readyz").get_json() == {"status": "ok"}


def test_not_ready_when_the_database_is_unreachable(config):
    app = create_app(config.replace(database_url="postgresql://nobody@127.0.0.1:9/none"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["message"] == "database unavailable"
