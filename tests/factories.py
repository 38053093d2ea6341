"""Shared test helpers: an API client that signs in through the stub, and data factories."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

import requests as http

from backend.codes import current_shop_code
from backend.creditcode import ALPHABET, check_character
from backend.db import database
from backend.models import (
    CommunityMembership,
    Department,
    Licence,
    Region,
    Shop,
    ShopMembership,
    ShopRequest,
    StaffAccount,
    User,
)
from backend.people.staffing import create_staff

_nonce = itertools.count(1)


def valid_credit_code() -> str:
    """A fresh credit code with a correct GB 32100-2015 check character."""
    body = "91310104" + "".join(ALPHABET[int(c, 16) % 31] for c in uuid.uuid4().hex[:9])
    return body + check_character(body)


def token_optional(operation: dict) -> bool:
    """An OpenAPI operation callable without a token: no security ([]), or a requirement
    list that holds the empty one ({}: /metrics takes its scraper's token or none)."""
    security = operation.get("security")
    return security is not None and (security == [] or {} in security)


def error_keys(response) -> list[str]:
    """The stable keys of an error answer, in order: what a frontend switches on."""
    return [detail["key"] for detail in response.get_json()["details"]]


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

    def ticket(self, code: str) -> str:
        """The ticket a scan of `code` hands this resident: what a rating or complaint needs."""
        return self.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"]

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

    def login(self, user: str) -> ApiClient:
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
                code=code,
                name=name,
                level=level,
                parent=parent,
                path=Region.path_for(parent, code),
            )

    def staff(
        self,
        user: str,
        role: str,
        region: Region,
        name: str = "李明",
        phone: str | None = None,
        department: Department | None = None,
    ) -> StaffAccount:
        """A staff account bound to stub user `user`."""
        with database.connection_context():
            staff = create_staff(
                name=name, role=role, region=region, phone=phone, department=department
            )
            staff.user = self.user(user)
            staff.save()
            return staff

    def shop(
        self,
        owner: str,
        street: Region,
        community: Region | None = None,
        name: str = "老王面馆",
        approved: bool = True,
        category: str = "catering",
        credit_code: str | None = None,
    ) -> Shop:
        """A shop registered by stub user `owner` through the real rules, approved by default."""
        from backend.shops import decisions, requests

        credit_code = credit_code or valid_credit_code()
        self._on_the_registry(credit_code, name)
        with self.app.app_context(), database.connection_context():
            user = self.user(owner)
            shop = requests.register_shop(
                user,
                {
                    "name": name,
                    "credit_code": credit_code,
                    "category": category,
                    "address": "天平路 88 号",
                    "street": street.code,
                    "community": community.code if community else None,
                    "location": {"lat": 31.2001, "lng": 121.4402},
                },
            )
            if approved:
                request = ShopRequest.get(ShopRequest.shop == shop)
                decisions.approve_request(self.approver(street), request.id)
            return Shop.get_by_id(shop.id)

    def _on_the_registry(self, credit_code: str, name: str) -> None:
        """A test that runs with the registry stub has its shops' businesses on it."""
        base = self.app.config["CITYCODE"].registry_api_base
        if not base:
            return
        company = {
            "name": name,
            "creditCode": credit_code,
            "regStatus": "存续",
            "legalPersonName": "王建军",
            "regLocation": "上海市徐汇区天平路88号",
            "companyOrgType": "个体工商户",
        }
        http.post(f"{base}/__stub__/companies", json=[company], timeout=5).raise_for_status()

    def approver(self, street: Region) -> StaffAccount:
        existing = StaffAccount.get_or_none(
            (StaffAccount.region == street) & (StaffAccount.role == "admin")
        )
        return existing or self.staff(f"approver_{street.code}", "admin", street, name="陈立")

    def licence(
        self,
        shop: Shop,
        valid_to: date,
        type_: str = "food_business",
        number: str = "JY13101040012345",
        valid_from: date | None = None,
    ) -> Licence:
        from backend.shops import licences

        owner = ShopMembership.get(
            (ShopMembership.shop == shop) & (ShopMembership.role == "owner")
        ).user
        with self.app.app_context(), database.connection_context():
            return licences.add_licence(
                owner,
                shop.public_id,
                {
                    "type": type_,
                    "number": number,
                    "issuer": "徐汇区市场监督管理局",
                    "valid_from": valid_from or valid_to - timedelta(days=5 * 365),
                    "valid_to": valid_to,
                },
            )

    def user(self, name: str) -> User:
        with database.connection_context():
            return User.get_or_none(User.openid == f"oStub_{name}") or User.create(
                openid=f"oStub_{name}"
            )

    def member(
        self,
        name: str,
        community: Region,
        display_name: str | None = None,
        phone: str | None = None,
    ) -> User:
        """Stub user `name`, an approved member of `community`."""
        user = self.user(name)
        with database.connection_context():
            if display_name or phone:
                User.update(display_name=display_name, phone=phone).where(
                    User.id == user.id
                ).execute()
            CommunityMembership.create(
                user=user, community=community, region_path=community.path, status="approved"
            )
        return user

    def code_of(self, shop: Shop) -> str:
        with database.connection_context():
            return current_shop_code(shop).code

    @staticmethod
    def unique(prefix: str = "") -> str:
        return f"{prefix}{uuid.uuid4().hex[:8]}"
