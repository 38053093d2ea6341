"""Configuration: documented defaults in development, refusal of them in production."""

from __future__ import annotations

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


def test_production_starts_with_real_settings(monkeypatch):
    monkeypatch.setenv("CITYCODE_ENV", "production")
    monkeypatch.setenv("WECHAT_SECRET", "a-real-secret")
    monkeypatch.setenv("WECHAT_API_BASE", "https://api.weixin.qq.com")
    monkeypatch.setenv("DATABASE_URL", "postgresql://citycode@db/citycode")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://c.xh.gov.cn")
    monkeypatch.setenv("PROXY_HOPS", "1")
    monkeypatch.setenv("REGISTRY_API_BASE", "https://open.api.tianyancha.com")
    assert Config.from_env().is_production


def test_production_app_refuses_to_start_without_signing_keys(config, tmp_path):
    from backend import create_app

    production = config.replace(env="production", signing_keys_dir=str(tmp_path / "none"))
    with pytest.raises(ConfigError, match="rotate-keys"):
        create_app(production)


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


def test_production_makes_its_first_keys_from_the_command_line(monkeypatch, tmp_path):
    from backend import create_app
    from backend.cli import _create_app

    _production(monkeypatch)
    monkeypatch.setenv("SIGNING_KEYS_DIR", str(tmp_path / "keys"))
    with pytest.raises(ConfigError, match="rotate-keys"):
        create_app()  # a server without keys does not start
    made = _create_app().test_cli_runner().invoke(args=["rotate-keys"])
    assert made.exit_code == 0, made.output
    assert made.output.count("new key") == 3
    assert create_app().extensions["citycode.keys"].has_all_purposes()


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
