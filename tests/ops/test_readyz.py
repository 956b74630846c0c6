"""``/readyz`` gives an orchestrator the readiness checks: 200 or 503, and no secrets."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.support.smtp_sink import free_port


def test_ready(build_app: Callable[..., Flask]) -> None:
    response = build_app().test_client().get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok" and body["checks"]["IMAP"] == "skipped"


def test_not_ready_names_the_failing_checks_and_nothing_secret(
    build_app: Callable[..., Flask],
) -> None:
    app = build_app(
        SECRET_KEY="the-secret-key-that-must-not-leak",
        REDIS_URL="redis://:redis-password@127.0.0.1:1/0",
        MAIL_PORT=free_port(),
        MAIL_USERNAME="office",
        MAIL_PASSWORD="mail-password",
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["Redis"] == "fail" and body["checks"]["mail server"] == "fail"
    assert body["checks"]["database"] == "ok"
    text = response.get_data(as_text=True)
    for secret in ("the-secret-key", "redis-password", "mail-password", "office", "127.0.0.1"):
        assert secret not in text


def test_answers_without_a_login_and_from_a_short_cache(build_app: Callable[..., Flask]) -> None:
    app = build_app()
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Nowhere/Land"
    assert client.get("/readyz").status_code == 200  # the cached answer
    assert client.get("/healthz").status_code == 200
