"""Configuration: documented defaults in development, refusal of them in production."""
from __future__ import annotations

import pytest

from backend.config import Config, ConfigError


def test_production_refuses_default_secrets(monkeypatch):
    monkeypatch.setenv("CITYCODE_ENV", "production")
    for name in ("WECHAT_SECRET", "DATABASE_URL", "WECHAT_API_BASE", "RATELIMIT_STORAGE_URI",
                 "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as refused:
        Config.from_env()
    assert "WECHAT_SECRET" in str(refused.value)


def test_production_starts_with_real_settings(monkeypatch):
    monkeypatch.setenv("CITYCODE_ENV", "production")
    monkeypatch.setenv("WECHAT_SECRET", "a-real-secret")
    monkeypatch.setenv("WECHAT_API_BASE", "https://api.weixin.qq.com")
    monkeypatch.setenv("DATABASE_URL", "postgresql://citycode@db/citycode")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://c.xh.gov.cn")
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
