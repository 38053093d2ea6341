"""The stub's in-memory world: issued tokens, used codes, subscriptions, faults and the call log.

Every method takes the one lock, so the threaded server can serve concurrent callers.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

RISKY_LABEL = 20006  # 违法犯罪
REVIEW_LABEL = 20012  # 低俗
NORMAL_LABEL = 100


class StubState:
    def __init__(
        self,
        appid: str,
        secret: str,
        risky_words: Iterable[str] = (),
        review_words: Iterable[str] = (),
        token_ttl: int = 7200,
        clock: Callable[[], float] = time.time,
    ):
        self.appid = appid
        self.secret = secret
        self.token_ttl = token_ttl
        self.clock = clock
        self._initial_words = (tuple(risky_words), tuple(review_words))
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything that happened; keep the credentials and the configured words."""
        with self._lock:
            self._risky_words, self._review_words = (list(w) for w in self._initial_words)
            self._pages: list[str] | None = None
            self._tokens: dict[str, float] = {}  # token -> expires_at
            self._stable_token: str | None = None
            self._used_codes: set[tuple[str, str]] = set()
            self._subscriptions: Counter[tuple[str, str]] = Counter()
            self._faults = {"http_500": 0, "busy": 0, "frequency": 0, "slow": 0}
            self._sent: list[dict] = []
            self._sequence = 0

    # -- configuration -------------------------------------------------------------

    def configure(self, risky_words=None, review_words=None, pages=None) -> dict:
        with self._lock:
            if risky_words is not None:
                self._risky_words = list(risky_words)
            if review_words is not None:
                self._review_words = list(review_words)
            if pages is not None:
                # An empty list means "every page exists" again.
                self._pages = list(pages) or None
            return self._config_unlocked()

    def config(self) -> dict:
        with self._lock:
            return self._config_unlocked()

    def _config_unlocked(self) -> dict:
        return {
            "appid": self.appid,
            "token_ttl": self.token_ttl,
            "pages": self._pages,
            "risky_words": list(self._risky_words),
            "review_words": list(self._review_words),
        }

    def page_exists(self, page: str) -> bool:
        with self._lock:
            return self._pages is None or page in self._pages

    def classify(self, text: str) -> tuple[str, int, str | None]:
        """(suggest, label, matched keyword) for a piece of user text; risky wins over review."""
        with self._lock:
            for words, suggest, label in (
                (self._risky_words, "risky", RISKY_LABEL),
                (self._review_words, "review", REVIEW_LABEL),
            ):
                for word in words:
                    if word and word in text:
                        return suggest, label, word
        return "pass", NORMAL_LABEL, None

    # -- access tokens -------------------------------------------------------------

    def stable_token(self, force_refresh: bool) -> tuple[str, int]:
        """WeChat's stable token: the same one until it expires; force_refresh revokes it."""
        with self._lock:
            now = self.clock()
            current = self._stable_token
            if current and not force_refresh and self._tokens.get(current, 0) > now:
                return current, int(self._tokens[current] - now)
            if current and force_refresh:
                self._tokens.pop(current, None)
            self._stable_token = self._issue_unlocked(now)
            return self._stable_token, self.token_ttl

    def legacy_token(self) -> tuple[str, int]:
        with self._lock:
            return self._issue_unlocked(self.clock()), self.token_ttl

    def _issue_unlocked(self, now: float) -> str:
        token = f"stub_{secrets.token_urlsafe(48)}"
        self._tokens[token] = now + self.token_ttl
        return token

    def token_status(self, token: str | None) -> str:
        """'valid', 'expired' or 'unknown'."""
        with self._lock:
            expires_at = self._tokens.get(token or "")
            if expires_at is None:
                return "unknown"
            return "valid" if expires_at > self.clock() else "expired"

    def expire_tokens(self) -> int:
        with self._lock:
            past = self.clock() - 1
            for token in self._tokens:
                self._tokens[token] = min(self._tokens[token], past)
            return len(self._tokens)

    # -- one-time codes and subscriptions -------------------------------------------

    def use_code(self, kind: str, code: str) -> bool:
        """True the first time a (kind, code) is presented, False on every reuse."""
        with self._lock:
            if (kind, code) in self._used_codes:
                return False
            self._used_codes.add((kind, code))
            return True

    def grant_subscription(self, openid: str, template_id: str, count: int) -> int:
        with self._lock:
            self._subscriptions[(openid, template_id)] += count
            return self._subscriptions[(openid, template_id)]

    def grant_subscriptions(self, openids: list[str], template_id: str, count: int) -> int:
        """`count` more for each of `openids`, under the lock once; how many users."""
        with self._lock:
            for openid in openids:
                self._subscriptions[(openid, template_id)] += count
            return len(set(openids))

    def consume_subscription(self, openid: str, template_id: str) -> bool:
        with self._lock:
            if self._subscriptions[(openid, template_id)] <= 0:
                return False
            self._subscriptions[(openid, template_id)] -= 1
            return True

    # -- faults, ids and the call log ------------------------------------------------

    def set_faults(self, **counts: int) -> dict:
        with self._lock:
            for name, count in counts.items():
                self._faults[name] = max(0, int(count))
            return dict(self._faults)

    def take_fault(self) -> str | None:
        """The fault the next API call should suffer, if any; HTTP failures come first."""
        with self._lock:
            for name in ("http_500", "busy", "frequency", "slow"):
                if self._faults[name] > 0:
                    self._faults[name] -= 1
                    return name
            return None

    def next_id(self) -> int:
        with self._lock:
            self._sequence += 1
            return self._sequence

    def record(self, endpoint: str, body, status: int, errcode: int | None) -> None:
        at = datetime.fromtimestamp(self.clock(), UTC).isoformat()
        with self._lock:
            self._sent.append(
                {"endpoint": endpoint, "body": body, "at": at, "status": status, "errcode": errcode}
            )

    def sent(self) -> list[dict]:
        with self._lock:
            return list(self._sent)
