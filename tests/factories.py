"""Shared test helpers: an API client that signs in through the stub, and data factories."""
from __future__ import annotations

import itertools
import uuid

from backend.db import database
from backend.models import Department, Region, StaffAccount, User
from backend.staffing import create_staff

_nonce = itertools.count(1)


class ApiClient:
    """The Flask test client with a bearer token, as the mini-program would send it."""

    def __init__(self, app, token: str | None = None, tokens: dict | None = None):
        self.app = app
        self.http = app.test_client()
        self.token = token
        self.tokens = tokens or {}

    def open(self, method: str, url: str, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.http.open(url, method=method, headers=headers, **kwargs)

    def get(self, url, **kw):
        return self.open("GET", url, **kw)

    def post(self, url, **kw):
        return self.open("POST", url, **kw)

    def put(self, url, **kw):
        return self.open("PUT", url, **kw)

    def patch(self, url, **kw):
        return self.open("PATCH", url, **kw)

    def delete(self, url, **kw):
        return self.open("DELETE", url, **kw)

    def login(self, user: str) -> "ApiClient":
        """Sign in as stub user `user` (openid oStub_<user>) with a fresh js_code."""
        response = self.http.post("/api/v1/auth/login", json={"code": f"{user}.n{next(_nonce)}"})
        assert response.status_code == 200, response.get_json()
        tokens = response.get_json()
        return ApiClient(self.app, tokens["access_token"], tokens)


class Factory:
    """Rows a test needs, written straight to the database."""

    def __init__(self, app):
        self.app = app

    def region_tree(self) -> dict[str, Region]:
        """A district with streets A and B, each with one community."""
        with database.connection_context():
            district = self.region("310104", "徐汇区", "district", None)
            street_a = self.region("310104003", "天平路街道", "street", district)
            street_b = self.region("310104004", "湖南路街道", "street", district)
            return {
                "district": district,
                "street_a": street_a,
                "street_b": street_b,
                "community_a": self.region("310104003001", "建业里居委会", "community", street_a),
                "community_b": self.region("310104004001", "复中居委会", "community", street_b),
            }

    def region(self, code, name, level, parent) -> Region:
        with database.connection_context():
            return Region.create(
                code=code, name=name, level=level, parent=parent,
                path=Region.path_for(parent, code),
            )

    def staff(self, user: str, role: str, region: Region, name: str = "李明",
              phone: str | None = None, department: Department | None = None) -> StaffAccount:
        """A staff account bound to stub user `user`."""
        with database.connection_context():
            staff = create_staff(name=name, role=role, region=region, phone=phone,
                                 department=department)
            account = User.get_or_none(User.openid == f"oStub_{user}") or User.create(
                openid=f"oStub_{user}"
            )
            staff.user = account
            staff.save()
            return staff

    @staticmethod
    def unique(prefix: str = "") -> str:
        return f"{prefix}{uuid.uuid4().hex[:8]}"
