"""Every setting, read from the environment in one place.

`Config.from_env()` is what the app uses; tests pass overrides on top of it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import ipaddress
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import limits

INSTANCE_DIR = Path(os.environ.get("CITYCODE_INSTANCE_DIR", Path.cwd() / "instance"))

# Development defaults, which production refuses to start with (see Config.check).
DEV_SECRET_MARK = "dev-only"  # noqa: S105  a marker, not a secret
DEFAULT_WECHAT_SECRET = "citycode-dev-secret"  # noqa: S105  the stub's; refused in production
# Development's, so a fresh clone starts with nothing to set; refused in production.
DEFAULT_KEY_ENCRYPTION_KEY = base64.urlsafe_b64encode(b"citycode-development-kek-32bytes").decode()
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'citycode.db'}"


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration cannot run safely."""


def _int(name: str, default: int | None, minimum: int = 0) -> int | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be more than 0 seconds, not {raw!r}")
    return value


def _rate(name: str, default: str) -> str:
    """A flask-limiter rate ("10 per minute"); a misspelt one would switch the limit off."""
    raw = os.environ.get(name) or default
    try:
        limits.parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name} is not a rate like '10 per minute': {raw!r}") from None
    return raw


def _days(name: str) -> tuple[date, ...]:
    """Dates, comma-separated, as 2026-12-24."""
    raw = os.environ.get(name, "")
    try:
        return tuple(date.fromisoformat(part.strip()) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must list dates like 2026-12-24,2026-12-25: {raw!r}") from None


ENVIRONMENTS = ("development", "test", "production")


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name) or default
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


@dataclass(frozen=True)
class Config:
    env: str = "development"
    # Secrets, and addresses that may carry a password, stay out of any printed config.
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    public_base_url: str = "http://127.0.0.1:8000"
    wechat_api_base: str = "http://127.0.0.1:9100"
    # Who a printed sticker says issued it, under the shop's name.
    sticker_issuer: str = "徐汇区市场监督管理局"
    wechat_appid: str = "wx_citycode_dev"
    wechat_secret: str = field(default=DEFAULT_WECHAT_SECRET, repr=False)
    wechat_timeout_seconds: float = 10.0
    wechat_template_licence: str = "tmpl_licence_expiry"
    wechat_template_inspection: str = "tmpl_inspection_result"
    wechat_template_report: str = "tmpl_report_progress"
    wechat_template_work_order: str = "tmpl_work_order_progress"
    wechat_template_shop: str = "tmpl_shop_membership"
    wechat_template_policy: str = "tmpl_policy_pushed"
    wechat_miniprogram_state: str = "formal"
    # The AES-256 key (32 bytes, base64) the signing keys are sealed under in the database
    # (backend/keys.py); every instance is given the same one.
    key_encryption_key: str = field(default=DEFAULT_KEY_ENCRYPTION_KEY, repr=False)
    key_grace_seconds: int = 7 * 24 * 3600
    # How often each process reads the keys again: a rotation on one machine signs on all
    # within it.
    keys_check_seconds: float = 10.0
    upload_dir: str = str(INSTANCE_DIR / "uploads")
    # Unset: files in UPLOAD_DIR; s3://bucket?endpoint=…&region=… for object storage every
    # instance shares (backend/storage.py).
    storage_url: str = ""
    # The worker's daily backup (backend/backup.py) goes into BACKUP_DIR/<UTC time>/, and
    # the last BACKUP_KEEP are kept; 0 makes none.
    backup_dir: str = str(INSTANCE_DIR / "backups")
    backup_keep: int = 7
    access_token_seconds: int = 15 * 60
    refresh_token_seconds: int = 30 * 24 * 3600
    ratelimit_storage_uri: str = field(default="memory://", repr=False)
    ratelimit_login: str = "10 per minute"
    ratelimit_writes: str = "60 per minute"
    ratelimit_refresh: str = "300 per minute"
    # Requests an Open311 client posts, per api_key (and per address, for made-up keys).
    ratelimit_open311: str = "60 per minute"
    # Reads of the open data API (/api/v1/public), per address: a map or a scraper pages
    # through it; a resident's scan is not counted here.
    ratelimit_public: str = "300 per minute"
    # The public search counts and pages no further than this many shops ("1000+").
    search_count_cap: int = 1000
    # A policy's preview estimates from a random sample once the sample holds this many
    # matches (±4.4 % at 2,000, in a 95 % interval); 0 counts everyone, exactly, always.
    preview_sample_matches: int = 2000
    ratelimit_enabled: bool = True
    db_pool_size: int = 8
    db_server_prepare: bool = True
    # How long PostgreSQL is waited on (backend/dbwait.py): a hung database answers 503
    # within them rather than holding every worker thread.
    db_connect_timeout: float = 2.0
    db_probe_after: float = 1.0
    db_statement_timeout: float = 15.0
    db_background_statement_timeout: float = 300.0
    db_retry_interval: float = 0.5
    db_pool_timeout: float = 5.0
    # How many reverse proxies stand in front and set X-Forwarded-For; None: not said,
    # which production refuses (every resident would share the proxy's rate limit).
    proxy_hops: int | None = None
    log_level: str = "INFO"
    # Who may read /metrics: these networks (METRICS_ALLOW, comma-separated CIDRs), or a
    # scraper with METRICS_TOKEN as its bearer token. The engine's worker serves its own
    # on WORKER_METRICS_PORT (0: none), on loopback unless WORKER_METRICS_HOST says.
    metrics_allow: tuple = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
    metrics_token: str = field(default="", repr=False)
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = 9464
    # The background engine's queue (backend/engine.py): empty for SQLite beside the
    # database, redis://… for several machines, memory:// to run each task at once.
    task_queue_url: str = field(default="", repr=False)
    # How long a request waits on Redis (backend/redisclient.py) before going on without it.
    redis_timeout: float = 0.2
    task_queue_name: str = "citycode"
    # Subscribe messages sent a second at most by every worker that shares
    # RATELIMIT_STORAGE_URI (Redis: the whole app, WeChat's quota being per app).
    wechat_messages_per_second: int = 20
    # Tries of one message before it is "failed" (backoff from 30 s, doubling, up to 1 h).
    message_attempts: int = 8
    # The district's own changes to China's working days, which count work orders' time.
    extra_days_off: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()
    # The district's own checklists and scoring rules, in data/checklists.json's form;
    # empty: the shipped ones.
    checklists_file: str = ""
    # Days from an inspection's result reaching the owner in which they may appeal its
    # grade; days after an inspection before they may ask for a re-rating visit.
    appeal_days: int = 21
    rerating_cooloff_days: int = 0
    # The business registry (backend/registry.py): empty, none configured, and every
    # registration waits unverified (未核验); `make run` points it at registry_stub.
    registry_api_base: str = ""
    registry_key: str = field(default="", repr=False)
    registry_timeout_seconds: int = 5
    # The daily re-check's pace towards the registry (a provider's quota is per second).
    registry_lookups_per_second: int = 5
    testing: bool = False

    @classmethod
    def from_env(cls, **overrides) -> Config:
        env = os.environ.get
        values = dict(
            env=_choice("CITYCODE_ENV", cls.env, ENVIRONMENTS),
            database_url=env("DATABASE_URL") or cls.database_url,
            public_base_url=env("PUBLIC_BASE_URL", cls.public_base_url).rstrip("/"),
            wechat_api_base=(env("WECHAT_API_BASE") or _local_stub()).rstrip("/"),
            wechat_appid=env("WECHAT_APPID", cls.wechat_appid),
            sticker_issuer=env("STICKER_ISSUER", cls.sticker_issuer).strip(),
            wechat_secret=env("WECHAT_SECRET", cls.wechat_secret),
            wechat_template_licence=env("WECHAT_TEMPLATE_LICENCE", cls.wechat_template_licence),
            wechat_template_inspection=env(
                "WECHAT_TEMPLATE_INSPECTION", cls.wechat_template_inspection
            ),
            wechat_template_report=env("WECHAT_TEMPLATE_REPORT", cls.wechat_template_report),
            wechat_template_work_order=env(
                "WECHAT_TEMPLATE_WORK_ORDER", cls.wechat_template_work_order
            ),
            wechat_template_shop=env("WECHAT_TEMPLATE_SHOP", cls.wechat_template_shop),
            wechat_template_policy=env("WECHAT_TEMPLATE_POLICY", cls.wechat_template_policy),
            wechat_miniprogram_state=env("WECHAT_MINIPROGRAM_STATE", cls.wechat_miniprogram_state),
            key_encryption_key=env("KEY_ENCRYPTION_KEY", cls.key_encryption_key),
            keys_check_seconds=_seconds("KEYS_CHECK_SECONDS", cls.keys_check_seconds),
            key_grace_seconds=_int("KEY_GRACE_SECONDS", cls.key_grace_seconds),
            upload_dir=env("UPLOAD_DIR", cls.upload_dir),
            storage_url=env("STORAGE_URL", cls.storage_url),
            backup_dir=env("BACKUP_DIR") or cls.backup_dir,
            backup_keep=_int("BACKUP_KEEP", cls.backup_keep),
            access_token_seconds=_int("ACCESS_TOKEN_SECONDS", cls.access_token_seconds, 60),
            refresh_token_seconds=_int("REFRESH_TOKEN_SECONDS", cls.refresh_token_seconds, 3600),
            ratelimit_storage_uri=env("RATELIMIT_STORAGE_URI", cls.ratelimit_storage_uri),
            ratelimit_login=_rate("RATELIMIT_LOGIN", cls.ratelimit_login),
            ratelimit_writes=_rate("RATELIMIT_WRITES", cls.ratelimit_writes),
            ratelimit_refresh=_rate("RATELIMIT_REFRESH", cls.ratelimit_refresh),
            ratelimit_open311=_rate("RATELIMIT_OPEN311", cls.ratelimit_open311),
            ratelimit_public=_rate("RATELIMIT_PUBLIC", cls.ratelimit_public),
            search_count_cap=_int("SEARCH_COUNT_CAP", cls.search_count_cap, 1),
            preview_sample_matches=_int("PREVIEW_SAMPLE_MATCHES", cls.preview_sample_matches),
            db_pool_size=_int("DB_POOL_SIZE", cls.db_pool_size, 1),
            db_server_prepare=_flag("DB_SERVER_PREPARE", cls.db_server_prepare),
            db_connect_timeout=_seconds("DB_CONNECT_TIMEOUT", cls.db_connect_timeout),
            db_probe_after=_seconds("DB_PROBE_AFTER", cls.db_probe_after),
            db_statement_timeout=_seconds("DB_STATEMENT_TIMEOUT", cls.db_statement_timeout),
            db_background_statement_timeout=_seconds(
                "DB_BACKGROUND_STATEMENT_TIMEOUT", cls.db_background_statement_timeout
            ),
            db_retry_interval=_seconds("DB_RETRY_INTERVAL", cls.db_retry_interval),
            db_pool_timeout=_seconds("DB_POOL_TIMEOUT", cls.db_pool_timeout),
            proxy_hops=_int("PROXY_HOPS", cls.proxy_hops),
            log_level=env("LOG_LEVEL", cls.log_level),
            metrics_allow=_networks("METRICS_ALLOW", cls.metrics_allow),
            metrics_token=env("METRICS_TOKEN", cls.metrics_token),
            worker_metrics_host=env("WORKER_METRICS_HOST", cls.worker_metrics_host),
            worker_metrics_port=_int("WORKER_METRICS_PORT", cls.worker_metrics_port),
            task_queue_url=env("TASK_QUEUE_URL", cls.task_queue_url),
            redis_timeout=_seconds("REDIS_TIMEOUT", cls.redis_timeout),
            task_queue_name=env("TASK_QUEUE_NAME", cls.task_queue_name),
            wechat_messages_per_second=_int(
                "WECHAT_MESSAGES_PER_SECOND", cls.wechat_messages_per_second, 1
            ),
            message_attempts=_int("MESSAGE_ATTEMPTS", cls.message_attempts, 1),
            extra_days_off=_days("EXTRA_DAYS_OFF"),
            extra_working_days=_days("EXTRA_WORKING_DAYS"),
            checklists_file=env("CHECKLISTS_FILE", cls.checklists_file),
            appeal_days=_int("APPEAL_DAYS", cls.appeal_days, 1),
            rerating_cooloff_days=_int("RERATING_COOLOFF_DAYS", cls.rerating_cooloff_days),
            registry_api_base=env("REGISTRY_API_BASE", cls.registry_api_base).rstrip("/"),
            registry_key=env("REGISTRY_KEY", cls.registry_key),
            registry_timeout_seconds=_int(
                "REGISTRY_TIMEOUT_SECONDS", cls.registry_timeout_seconds, 1
            ),
            registry_lookups_per_second=_int(
                "REGISTRY_LOOKUPS_PER_SECOND", cls.registry_lookups_per_second, 1
            ),
        )
        values.update(overrides)
        config = cls(**values)
        config.check()
        return config

    def replace(self, **changes) -> Config:
        return dataclasses.replace(self, **changes)

    @property
    def key_encryption_key_bytes(self) -> bytes:
        return _key_bytes(self.key_encryption_key)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def check(self) -> None:
        """Refuse to run production on development defaults."""
        _key_bytes(self.key_encryption_key)
        if self.access_token_seconds > 15 * 60:
            raise ConfigError("ACCESS_TOKEN_SECONDS must be at most 900 (15 minutes)")
        if not self.is_production:
            return
        problems = []
        if self.key_encryption_key == DEFAULT_KEY_ENCRYPTION_KEY:
            problems.append(
                "KEY_ENCRYPTION_KEY is the development default: the signing keys would be "
                "sealed under a key anyone can read"
            )
        if self.wechat_secret == DEFAULT_WECHAT_SECRET:
            problems.append("WECHAT_SECRET is the development default")
        if self.wechat_api_base in (Config.wechat_api_base, _local_stub()):
            problems.append("WECHAT_API_BASE points at the local WeChat stub")
        if not self.registry_api_base:
            problems.append("REGISTRY_API_BASE is not set: registrations would go unverified")
        if self.database_url.startswith("sqlite"):
            problems.append("DATABASE_URL is SQLite; production runs on PostgreSQL")
        if self.ratelimit_storage_uri.startswith("memory"):
            problems.append("RATELIMIT_STORAGE_URI is per-process memory; use Redis")
        if not self.storage_url:
            problems.append(
                "STORAGE_URL is not set: files would stay on this machine; use object storage"
            )
        if self.public_base_url == Config.public_base_url:
            problems.append("PUBLIC_BASE_URL is the development default")
        if self.proxy_hops is None:
            problems.append(
                "PROXY_HOPS is not set: the number of reverse proxies in front "
                "(0 if none); behind an unannounced proxy every resident shares "
                "one rate limit"
            )
        if len(f"{self.public_base_url}/S/") + 10 > 35:
            problems.append("PUBLIC_BASE_URL is too long for a version-3 QR code")
        if problems:
            raise ConfigError("production config refused: " + "; ".join(problems))


def _key_bytes(encoded: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(encoded.strip().encode() + b"==")
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != 32:
        raise ConfigError(
            "KEY_ENCRYPTION_KEY must be 32 random bytes in base64, e.g. from "
            "`python -c 'import secrets, base64; print(base64.urlsafe_b64encode("
            "secrets.token_bytes(32)).decode())'`"
        )
    return key


def _networks(name: str, default: tuple) -> tuple:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return tuple(ipaddress.ip_network(part.strip()) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must be networks like 10.0.0.0/8, not {raw!r}") from None


def _local_stub() -> str:
    """The WeChat stub `make run` starts: on STUB_PORT, as `make run STUB_PORT=…` moves it,
    so a command run beside it (seed-demo, the sweeps) reaches the same one."""
    port = os.environ.get("STUB_PORT") or "9100"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"STUB_PORT must be a port number, not {port!r}")
    return f"http://127.0.0.1:{int(port)}"
