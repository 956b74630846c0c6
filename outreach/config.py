"""Configuration read from environment variables, with defaults that run on a bare machine."""

from __future__ import annotations

import os
from typing import Any

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"


class ConfigurationError(RuntimeError):
    """A configuration the application refuses to run with; the message says what to set."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def from_env(instance_path: str) -> dict[str, Any]:
    """Build the configuration mapping from the process environment.

    ``REDIS_URL`` left unset means the embedded Redis server (see ``outreach.queue``);
    ``MAIL_SERVER`` left unset means the built-in mail catcher on ``MAIL_CATCHER_PORT``.
    """
    env_name = os.environ.get("OUTREACH_ENV", "development")
    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + os.path.join(instance_path, "outreach.db")
    )
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    catcher_port = _int("MAIL_CATCHER_PORT", 8025)
    mail_server = os.environ.get("MAIL_SERVER") or ""
    return {
        "ENV_NAME": env_name,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or DEFAULT_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or "",
        "LETTER_TEMPLATES_DIR": os.environ.get("LETTER_TEMPLATES_DIR") or "",
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or os.path.join(instance_path, "uploads"),
        "MAIL_CATCHER_PORT": catcher_port,
        "MAIL_CATCHER_BUILTIN": not mail_server,
        "MAIL_SERVER": mail_server or "127.0.0.1",
        "MAIL_PORT": _int("MAIL_PORT", catcher_port if not mail_server else 587),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER")
        or "International Cooperation Office <partners@mena-rada.example>",
        "MAIL_REPLY_TO": os.environ.get("MAIL_REPLY_TO") or "",
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 30),
        "MAIL_RATE_PER_MINUTE": _int("MAIL_RATE_PER_MINUTE", 0),
        "MAIL_RATE_PER_HOUR": _int("MAIL_RATE_PER_HOUR", 0),
        "MAIL_MAX_ATTEMPTS": _int("MAIL_MAX_ATTEMPTS", 5),
        "MAIL_CHUNK_SIZE": _int("MAIL_CHUNK_SIZE", 50),
        "MAIL_RETRY_BASE_SECONDS": _float("MAIL_RETRY_BASE_SECONDS", 60),
        "MAIL_RETRY_MAX_SECONDS": _float("MAIL_RETRY_MAX_SECONDS", 3600),
        "MAIL_RATE_MAX_WAIT": _float("MAIL_RATE_MAX_WAIT", 60),
        "MAIL_REQUEUE_SECONDS": _float("MAIL_REQUEUE_SECONDS", 300),
        # 0: derived from the job timeout (a claim outlives any job that could hold it).
        "MAIL_LEASE_SECONDS": _float("MAIL_LEASE_SECONDS", 0),
        "IMAP_HOST": os.environ.get("IMAP_HOST") or "",
        "IMAP_PORT": _int("IMAP_PORT", 0) or None,
        "IMAP_USER": os.environ.get("IMAP_USER") or "",
        "IMAP_PASSWORD": os.environ.get("IMAP_PASSWORD") or "",
        "IMAP_FOLDER": os.environ.get("IMAP_FOLDER") or "INBOX",
        "IMAP_TLS": _bool("IMAP_TLS", default=True),
        "IMAP_STARTTLS": _bool("IMAP_STARTTLS"),
        "IMAP_CA_FILE": os.environ.get("IMAP_CA_FILE") or "",
        "IMAP_TIMEOUT": _float("IMAP_TIMEOUT", 30),
        "REPLIES_FETCH_SECONDS": _int("REPLIES_FETCH_SECONDS", 300),
        # `outreach dev` and `outreach demo-data` fill an empty gazetteer of towns.
        "GAZETTEER_AUTOLOAD": _bool("GAZETTEER_AUTOLOAD", default=True),
        "GAZETTEER_MIN_POPULATION": _int("GAZETTEER_MIN_POPULATION", 1000),
        "LOGIN_ACCOUNT_LIMIT": os.environ.get("LOGIN_ACCOUNT_LIMIT") or "10 per 15 minutes",
        "LOGIN_ADDRESS_LIMIT": os.environ.get("LOGIN_ADDRESS_LIMIT") or "50 per 15 minutes",
        # Reverse proxies in front of the app whose X-Forwarded-For / -Proto are believed.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Cookies travel over HTTPS only in production, unless explicitly turned off.
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", default=env_name == "production"),
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", default=env_name == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("OUTREACH_TIMEZONE", "Europe/Kyiv"),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # CSV files with more rows are imported by a background job, with a progress bar.
        "IMPORT_INLINE_ROWS": _int("IMPORT_INLINE_ROWS", 2000),
        "IMPORT_JOB_TIMEOUT": _int("IMPORT_JOB_TIMEOUT", 3600),
    }


def check_production(config: dict[str, Any] | Any) -> None:
    """Refuse to run in production with the built-in secret key or insecure cookies."""
    if config.get("ENV_NAME") != "production":
        return
    if config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        raise ConfigurationError(
            "SECRET_KEY is not set: production refuses to start with the default secret key."
        )
