"""Configuration: documented defaults in development, refusal of them in production."""

from __future__ import annotations

import base64

import pytest

from backend.config import Config, ConfigError


def test_production_refuses_default_secrets(monkeypatch):
    monkeypatch.setenv("CITYCODE_ENV", "production")
    for name in (
        "WECHAT_SECRET",
        "DATABASE_URL",
        "WECHAT_API_BASE",
        "RATELIMIT_STORAGE_URI",
        "PUBLIC_BASE_URL",
        "REGISTRY_API_BASE",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as refused:
        Config.from_env()
    assert "WECHAT_SECRET" in str(refused.value)
    assert "REGISTRY_API_BASE" in str(refused.value)
    assert "KEY_ENCRYPTION_KEY" in str(refused.value)
    assert "STORAGE_URL" in str(refused.value)


def test_production_starts_with_real_settings(monkeypatch):
    monkeypatch.setenv("CITYCODE_ENV", "production")
    monkeypatch.setenv("WECHAT_SECRET", "a-real-secret")
    monkeypatch.setenv("WECHAT_API_BASE", "https://api.weixin.qq.com")
    monkeypatch.setenv("DATABASE_URL", "postgresql://citycode@db/citycode")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://c.xh.gov.cn")
    monkeypatch.setenv("PROXY_HOPS", "1")
    monkeypatch.setenv("REGISTRY_API_BASE", "https://open.api.tianyancha.com")
    monkeypatch.setenv("KEY_ENCRYPTION_KEY", "5ZDT0m4vQXJpTm9ZXr2kC6N1cQb5m8s7hZ2xJ0aLw1E=")
    monkeypatch.setenv(
        "STORAGE_URL", "s3://citycode-files?endpoint=https://oss-cn-shanghai.aliyuncs.com"
    )
    assert Config.from_env().is_production


def test_production_refuses_to_start_without_its_own_key_encryption_key(monkeypatch):
    _production(monkeypatch)
    Config.from_env()
    monkeypatch.delenv("KEY_ENCRYPTION_KEY")
    with pytest.raises(ConfigError, match="KEY_ENCRYPTION_KEY is the development default"):
        Config.from_env()
    monkeypatch.setenv("KEY_ENCRYPTION_KEY", "c2hvcnQ=")
    with pytest.raises(ConfigError, match="32 random bytes"):
        Config.from_env()


def test_access_tokens_cannot_be_configured_longer_than_15_minutes(monkeypatch):
    monkeypatch.setenv("ACCESS_TOKEN_SECONDS", "3600")
    with pytest.raises(ConfigError):
        Config.from_env()


def test_development_defaults_use_sqlite_in_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = Config.from_env()
    assert config.database_url.startswith("sqlite:///") and "instance" in config.database_url


def test_production_refuses_a_base_url_too_long_for_a_small_qr(monkeypatch):
    monkeypatch.setenv("CITYCODE_ENV", "production")
    monkeypatch.setenv("WECHAT_SECRET", "a-real-secret")
    monkeypatch.setenv("WECHAT_API_BASE", "https://api.weixin.qq.com")
    monkeypatch.setenv("DATABASE_URL", "postgresql://citycode@db/citycode")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://shopcodes.xuhui.shanghai.gov.cn")
    with pytest.raises(ConfigError, match="too long"):
        Config.from_env()


def test_server_side_prepare_can_be_switched_off_but_not_misspelt(monkeypatch):
    monkeypatch.delenv("DB_SERVER_PREPARE", raising=False)
    assert Config.from_env().db_server_prepare is True
    monkeypatch.setenv("DB_SERVER_PREPARE", "false")
    assert Config.from_env().db_server_prepare is False
    monkeypatch.setenv("DB_SERVER_PREPARE", "nope")
    with pytest.raises(ConfigError, match="DB_SERVER_PREPARE"):
        Config.from_env()


def _production(monkeypatch):
    for name, value in {
        "CITYCODE_ENV": "production",
        "WECHAT_SECRET": "a-real-secret",
        "WECHAT_API_BASE": "https://api.weixin.qq.com",
        "DATABASE_URL": "postgresql://citycode@db/citycode",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "PUBLIC_BASE_URL": "https://c.xh.gov.cn",
        "PROXY_HOPS": "1",
        "REGISTRY_API_BASE": "https://open.api.tianyancha.com",
        "KEY_ENCRYPTION_KEY": "5ZDT0m4vQXJpTm9ZXr2kC6N1cQb5m8s7hZ2xJ0aLw1E=",
        "STORAGE_URL": "s3://citycode-files?endpoint=https://oss-cn-shanghai.aliyuncs.com",
    }.items():
        monkeypatch.setenv(name, value)


def test_production_must_say_how_many_proxies_stand_in_front(monkeypatch):
    _production(monkeypatch)
    monkeypatch.delenv("PROXY_HOPS")
    with pytest.raises(ConfigError, match="PROXY_HOPS"):
        Config.from_env()
    monkeypatch.setenv("PROXY_HOPS", "0")  # said outright: nothing in front
    assert Config.from_env().proxy_hops == 0


@pytest.mark.parametrize(
    "name, value",
    [
        ("CITYCODE_ENV", "Production"),
        ("CITYCODE_ENV", "prod"),
        ("RATELIMIT_LOGIN", "3 per minite"),
        ("RATELIMIT_WRITES", "lots"),
        ("ACCESS_TOKEN_SECONDS", "0"),
        ("ACCESS_TOKEN_SECONDS", "-5"),
        ("KEY_GRACE_SECONDS", "-1"),
        ("PROXY_HOPS", "-2"),
        ("DB_POOL_SIZE", "0"),
        ("DB_POOL_SIZE", "eight"),
        ("DB_STATEMENT_TIMEOUT", "0"),
        ("DB_PROBE_AFTER", "-1"),
        ("DB_CONNECT_TIMEOUT", "1s"),
    ],
)
def test_a_value_that_cannot_be_right_stops_the_start_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        Config.from_env()


def test_production_makes_no_keys_of_its_own_and_takes_no_traffic_until_given_them(config):
    from backend import create_app

    production = create_app(
        config.replace(
            env="production", key_encryption_key=base64.b64encode(bytes(range(32))).decode()
        )
    )
    ready = production.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["details"][0]["key"] == "no_signing_keys"
    made = production.test_cli_runner().invoke(args=["rotate-keys"])
    assert made.exit_code == 0, made.output
    assert made.output.count("new key") == 3
    assert production.test_client().get("/readyz").status_code == 200


def test_a_printed_config_shows_no_secret_or_password(monkeypatch):
    monkeypatch.setenv("WECHAT_SECRET", "wx-secret-9f2c")
    monkeypatch.setenv("DATABASE_URL", "postgresql://citycode:db-pass-77@db/citycode")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://:redis-pass-31@cache:6379/0")
    printed = repr(Config.from_env())
    assert "wx_citycode_dev" in printed  # the rest is still there to read
    for secret in ("wx-secret-9f2c", "db-pass-77", "redis-pass-31"):
        assert secret not in printed


def test_commands_reach_the_stub_where_make_run_moved_it(monkeypatch):
    monkeypatch.delenv("WECHAT_API_BASE", raising=False)
    monkeypatch.delenv("STUB_PORT", raising=False)
    assert Config.from_env().wechat_api_base == "http://127.0.0.1:9100"
    monkeypatch.setenv("STUB_PORT", "9511")
    assert Config.from_env().wechat_api_base == "http://127.0.0.1:9511"
    monkeypatch.setenv("WECHAT_API_BASE", "https://api.weixin.qq.com/")
    assert Config.from_env().wechat_api_base == "https://api.weixin.qq.com"
    monkeypatch.delenv("WECHAT_API_BASE")
    monkeypatch.setenv("STUB_PORT", "91OO")
    with pytest.raises(ConfigError, match="STUB_PORT"):
        Config.from_env()


def test_production_refuses_the_stub_on_a_moved_port_too(monkeypatch):
    monkeypatch.setenv("CITYCODE_ENV", "production")
    monkeypatch.setenv("STUB_PORT", "9511")
    monkeypatch.delenv("WECHAT_API_BASE", raising=False)
    with pytest.raises(ConfigError, match="WECHAT_API_BASE points at the local WeChat stub"):
        Config.from_env()


def test_the_database_waits_are_read_in_seconds(monkeypatch):
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT", "2.5")
    monkeypatch.setenv("DB_PROBE_AFTER", " ")
    settings = Config.from_env()
    assert settings.db_statement_timeout == 2.5
    assert settings.db_probe_after == Config.db_probe_after == 1.0
