"""``outreach check``: every check passes on a sound installation and names each problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask_migrate import upgrade

from outreach.extensions import db
from outreach.ops import checks
from outreach.ops.checks import Status
from tests.ops.conftest import SMTP_PASSWORD, SMTP_USER
from tests.support.smtp_sink import free_port


def by_name(results: list[checks.Result]) -> dict[str, checks.Result]:
    return {result.name: result for result in results}


def test_a_sound_installation_is_ready(build_app: Callable[..., Flask]) -> None:
    results = by_name(checks.run(build_app()))
    assert {name: r.status for name, r in results.items()} == {
        "SECRET_KEY": Status.OK,
        "database": Status.OK,
        "Redis": Status.OK,
        "mail server": Status.OK,
        "IMAP": Status.SKIPPED,
        "letter templates": Status.OK,
        "time zone": Status.OK,
    }
    assert "migrations current" in results["database"].message
    assert "append-only file on" in results["Redis"].message
    assert all(not r.fix for r in results.values())


def test_the_command_prints_each_check_and_exits_0(build_app: Callable[..., Flask]) -> None:
    app = build_app()
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "ready"
    assert [line.split()[0] for line in lines[:-1]] == ["OK", "OK", "OK", "OK", "--", "OK", "OK"]


def test_each_problem_is_named_with_a_fix(build_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = build_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}",
        REDIS_URL="redis://:redis-secret@127.0.0.1:1/0",
        MAIL_PORT=free_port(),
        LETTER_TEMPLATES_DIR=str(tmp_path / "no-letters"),
        BABEL_DEFAULT_TIMEZONE="Europe/Atlantis",
    )
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "not ready: 5 to fix"
    failed = [
        line.split(None, 2)[1] for line in result.output.splitlines() if line.startswith("FAIL")
    ]
    assert failed == ["database", "Redis", "mail", "letter", "time"]
    assert result.output.count("fix: ") == 5
    assert "run `outreach db upgrade`" in result.output
    assert "Europe/Atlantis" in result.output
    assert "redis-secret" not in result.output


def test_json_for_scripts(build_app: Callable[..., Flask]) -> None:
    app = build_app(BABEL_DEFAULT_TIMEZONE="Nowhere/Land")
    result = app.test_cli_runner().invoke(args=["check", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ready"] is False
    [zone] = [c for c in report["checks"] if c["name"] == "time zone"]
    assert zone["status"] == "fail" and "OUTREACH_TIMEZONE" in zone["fix"]


def test_production_refuses_the_default_key_and_still_checks_the_rest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, smtp_sink: Any
) -> None:
    from outreach.cli import cli

    for name in ("SECRET_KEY", "REDIS_URL", "IMAP_HOST", "LETTER_TEMPLATES_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OUTREACH_ENV", "production")
    monkeypatch.setenv("OUTREACH_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MAIL_SERVER", smtp_sink.host)
    monkeypatch.setenv("MAIL_PORT", str(smtp_sink.port))
    result = CliRunner().invoke(cli, ["check"], prog_name="outreach")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("FAIL  SECRET_KEY") and "default secret key" in lines[0]
    assert "fix: set SECRET_KEY" in lines[1]
    assert any(line.startswith("OK    database") for line in lines)
    assert any(line.startswith("OK    mail server") for line in lines)
    assert any(line.startswith("FAIL  Redis") and "embedded Redis" in line for line in lines)


def test_a_short_secret_key_is_refused(build_app: Callable[..., Flask]) -> None:
    result = checks.secret_key(build_app(SECRET_KEY="short"))
    assert result.status is Status.FAIL and "5 characters" in result.message


def test_the_development_key_is_fine_in_development(build_app: Callable[..., Flask]) -> None:
    from outreach.config import DEFAULT_SECRET_KEY

    result = checks.secret_key(build_app(SECRET_KEY=DEFAULT_SECRET_KEY))
    assert result.status is Status.OK and "development" in result.message


def test_migrations_behind_the_code(build_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        upgrade(revision="0004")
        db.engine.dispose()
    result = checks.database(app)
    assert result.status is Status.FAIL
    assert "at revision 0004" in result.message and "outreach db upgrade" in result.fix


def test_a_database_that_cannot_be_reached(build_app: Callable[..., Flask]) -> None:
    url = f"postgresql+psycopg://outreach:db-secret@127.0.0.1:{free_port()}/outreach"
    result = checks.database(build_app(SQLALCHEMY_DATABASE_URI=url))
    assert result.status is Status.FAIL and "cannot connect" in result.message
    assert "db-secret" not in result.message and "DATABASE_URL" in result.fix


@pytest.mark.parametrize(
    ("server", "expected"), [("evicting", "allkeys-lru"), ("volatile", "a restart loses")]
)
def test_redis_that_may_lose_queued_work(
    build_app: Callable[..., Flask], redis_servers: dict[str, str], server: str, expected: str
) -> None:
    result = checks.redis(build_app(REDIS_URL=redis_servers[server]))
    assert result.status is Status.FAIL and expected in result.message


def test_the_embedded_redis_when_it_is_not_running(
    build_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = build_app(REDIS_URL="")
    app.instance_path = str(tmp_path)
    result = checks.redis(app)
    assert result.status is Status.FAIL and "outreach dev" in result.fix


def test_mail_login(build_app: Callable[..., Flask], smtp_with_login: tuple[str, int]) -> None:
    host, port = smtp_with_login
    settings = {"MAIL_SERVER": host, "MAIL_PORT": port, "MAIL_USERNAME": SMTP_USER}
    good = checks.mail(build_app(**settings, MAIL_PASSWORD=SMTP_PASSWORD))
    assert good.status is Status.OK and good.message.endswith("EHLO, login")
    bad = checks.mail(build_app(**settings, MAIL_PASSWORD="wrong"))
    assert bad.status is Status.FAIL and "refused the login" in bad.message
    assert "MAIL_PASSWORD" in bad.fix and "wrong" not in bad.message


def test_mail_starttls_that_the_server_does_not_offer(build_app: Callable[..., Flask]) -> None:
    result = checks.mail(build_app(MAIL_USE_TLS=True))
    assert result.status is Status.FAIL and "STARTTLS" in result.message


def test_production_without_a_mail_server(build_app: Callable[..., Flask]) -> None:
    result = checks.mail(build_app(ENV_NAME="production", MAIL_CATCHER_BUILTIN=True))
    assert result.status is Status.FAIL and "MAIL_SERVER" in result.fix


def test_imap(build_app: Callable[..., Flask], imap_server: Any) -> None:
    good = checks.imap(build_app(**imap_server.config()))
    assert good.status is Status.OK and "INBOX" in good.message
    bad = checks.imap(build_app(**imap_server.config(IMAP_PASSWORD="wrong")))
    assert bad.status is Status.FAIL and "IMAP_PASSWORD" in bad.fix


def test_letters_missing_in_the_fallback_language(
    build_app: Callable[..., Flask], tmp_path: Path
) -> None:
    (tmp_path / "proposal").mkdir()
    (tmp_path / "proposal" / "en.txt").write_text("Subject: x\n\nBody")
    result = checks.letter_templates(build_app(LETTER_TEMPLATES_DIR=str(tmp_path)))
    assert result.status is Status.FAIL
    assert (
        "no follow_up, second_follow_up template in en" in result.message
        and "follow_up" not in result.fix
    )
