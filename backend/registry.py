"""The business registry (工商登记): who a 统一社会信用代码 belongs to, and whether it still
trades. One client, like the WeChat one: base URL and key from the configuration,
timeouts, a few retries with backoff, and one error when the registry cannot answer.

It speaks the shape of Tianyancha's (天眼查) 企业基本信息 lookup (baseinfoV2); any
provider's status words are mapped onto STATUSES, and its answer is kept only as the
fields below and a hash (the snapshot on the shop's record).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import requests

from backend import clock, masking

log = logging.getLogger(__name__)
SOURCE = "tianyancha.baseinfoV2"
LOOKUP_PATH = "/services/open/ic/baseinfoV2/2.0"

# A registration's status, and the provider words for each.
STATUSES = {
    "active": "存续",
    "suspended": "停业",
    "deregistered": "注销",
    "revoked": "吊销",
    "moved_out": "迁出",
    "cancelled": "撤销",
}
PROVIDER_WORDS = {
    "存续": "active",
    "在业": "active",
    "开业": "active",
    "在营（开业）企业": "active",
    "存续（在营、开业、在册）": "active",
    "停业": "suspended",
    "注销": "deregistered",
    "已注销": "deregistered",
    "吊销": "revoked",
    "吊销，未注销": "revoked",
    "吊销，已注销": "deregistered",
    "迁出": "moved_out",
    "撤销": "cancelled",
}
# A business that has ended: no new shop is registered under it.
ENDED = ("deregistered", "revoked", "cancelled")
# The kind of entity, from a credit code issued by market regulation (its first character
# 9): the second character (GB 32100-2015).
ENTITY_TYPES = {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}
NOT_FOUND, BAD_ACCOUNT, TOO_FAST = 300000, 300002, 300004


class RegistryError(Exception):
    pass


class RegistryNotFound(RegistryError):
    """The registry holds no business under this code."""


class RegistryUnavailable(RegistryError):
    """The registry did not answer (down, slow, refusing us): try again later."""


@dataclass(frozen=True)
class Registration:
    credit_code: str
    name: str
    entity_type: str
    representative: str
    address: str
    status: str
    established: date | None
    scope: str
    answer_hash: str
    fetched_at: datetime

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def representative_masked(self) -> str:
        return masking.name(self.representative) or ""

    def snapshot(self) -> dict:
        """What the shop's record keeps of a lookup: where, when, what it said, its hash."""
        return {
            "source": SOURCE,
            "at": self.fetched_at.isoformat(),
            "hash": self.answer_hash,
            "status": self.status,
            "name": self.name,
            "address": self.address,
        }


def entity_type(credit_code: str) -> str:
    if credit_code[:1] == "9":
        return ENTITY_TYPES.get(credit_code[1:2], "其他")
    return "其他"


class RegistryClient:
    def __init__(
        self,
        base_url: str,
        key: str,
        timeout: float | tuple[float, float] = (2, 5),
        retries: int = 2,
        backoff: float = 0.2,
    ):
        self.base_url = base_url.rstrip("/")
        self._key = key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._http = requests.Session()

    @property
    def configured(self) -> bool:
        return bool(self.base_url)

    def lookup(self, credit_code: str) -> Registration:
        """The registration under `credit_code`; RegistryNotFound, or RegistryUnavailable
        once the retries are spent."""
        if not self.configured:
            raise RegistryUnavailable("no registry configured (REGISTRY_API_BASE)")
        for attempt in range(self.retries + 1):
            try:
                return self._once(credit_code)
            except RegistryUnavailable as exc:
                log.warning("registry lookup failed: %s (try %s)", exc, attempt + 1)
                if attempt == self.retries:
                    raise
                time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _once(self, credit_code: str) -> Registration:
        try:
            response = self._http.get(
                self.base_url + LOOKUP_PATH,
                params={"keyword": credit_code},
                headers={"Authorization": self._key},
                timeout=self.timeout,
            )
        except requests.Timeout:
            raise RegistryUnavailable("timed out") from None
        except requests.RequestException as exc:
            raise RegistryUnavailable(f"request failed: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise RegistryUnavailable(f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise RegistryUnavailable("answer is not JSON") from None
        code = answer.get("error_code") if isinstance(answer, dict) else None
        if code == NOT_FOUND:
            raise RegistryNotFound(credit_code)
        if code != 0 or not isinstance(answer.get("result"), dict):
            raise RegistryUnavailable(f"error_code {code}: {answer.get('reason', '')}"[:200])
        return _registration(credit_code, answer["result"])


def _registration(credit_code: str, result: dict) -> Registration:
    status = PROVIDER_WORDS.get(str(result.get("regStatus", "")).strip())
    if status is None:
        raise RegistryUnavailable(f"unknown status {result.get('regStatus')!r}")
    established = result.get("estiblishTime")
    canonical = json.dumps(result, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return Registration(
        credit_code=credit_code,
        name=str(result.get("name", "")),
        entity_type=entity_type(credit_code),
        representative=str(result.get("legalPersonName", "")),
        address=str(result.get("regLocation", "")),
        status=status,
        established=datetime.fromtimestamp(established / 1000, UTC).date()
        if isinstance(established, int | float)
        else None,
        scope=str(result.get("businessScope", "")),
        answer_hash=hashlib.sha256(canonical.encode()).hexdigest(),
        fetched_at=clock.now(),
    )
