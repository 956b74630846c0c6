"""Configuration from the environment, and what production refuses."""

import pytest

from outreach import create_app
from outreach.config import DEFAULT_SECRET_KEY


def test_production_refuses_the_default_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("OUTREACH_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("OUTREACH_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", DEFAULT_SECRET_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("OUTREACH_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test")
    monkeypatch.setenv("OUTREACH_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_defaults_run_on_a_bare_machine(monkeypatch, tmp_path):
    for name in ("OUTREACH_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OUTREACH_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/outreach.db"
    assert app.config["MAIL_CATCHER_BUILTIN"] and app.config["MAIL_PORT"] == 8025
    assert app.config["REDIS_URL"] == ""
    assert not app.config["SESSION_COOKIE_SECURE"]
