"""Readiness checks for operators: is everything the app needs configured and answering?

Each check returns a :class:`Result`: what was found and, when it is not OK, what to do.
``outreach check`` prints them; ``/readyz`` answers with their names and states only.
A check never raises: whatever goes wrong becomes its result. Nothing here writes
anything or starts anything (the embedded Redis is reported, not started).
"""

from __future__ import annotations

import dataclasses
import smtplib
import ssl
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pytz
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from redis import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url

from outreach import resources
from outreach.config import DEFAULT_SECRET_KEY
from outreach.extensions import db
from outreach.letters import office, sources
from outreach.letters.kinds import LetterKind
from outreach.queue import embedded_socket
from outreach.replies.imap import MailboxConfig, MailboxError, connect

#: Seconds a check waits for a server before it reports it unreachable.
TIMEOUT = 5.0


class Status(StrEnum):
    OK = "ok"
    FAIL = "fail"
    SKIPPED = "skipped"  # not configured, and not needed


@dataclass(frozen=True)
class Result:
    name: str
    status: Status
    message: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAIL


def ok(name: str, message: str) -> Result:
    return Result(name, Status.OK, message)


def fail(name: str, message: str, fix: str) -> Result:
    return Result(name, Status.FAIL, message, fix)


def secret_key(app: Flask, refused: str | None = None) -> Result:
    """``refused``: why the app refused the configured key (it then runs the checks with a
    throw-away key)."""
    name = "SECRET_KEY"
    how = "set SECRET_KEY to a long random value, e.g. the output of `openssl rand -base64 48`"
    if refused:
        return fail(name, refused, how)
    key = app.config.get("SECRET_KEY")
    if key in (None, "", DEFAULT_SECRET_KEY):
        if app.config.get("ENV_NAME") == "production":
            return fail(name, "the built-in development key is in use", how)
        return ok(name, "the built-in development key (production requires SECRET_KEY)")
    if len(str(key)) < 24:
        return fail(name, f"set, but only {len(str(key))} characters long", how)
    return ok(name, "set")


def database(app: Flask) -> Result:
    name = "database"
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                current = set(MigrationContext.configure(connection).get_current_heads())
        except Exception as exc:
            return fail(
                name,
                f"cannot connect to {url}: {_first_line(exc)}",
                "check DATABASE_URL and that the database server is running",
            )
    scripts = ScriptDirectory(str(resources.migrations_dir()))
    heads = set(scripts.get_heads())
    upgrade = "run `outreach db upgrade` (then restart the web app and the workers)"
    if current == heads:
        return ok(name, f"{url} reachable, migrations current ({', '.join(sorted(heads))})")
    if not current:
        return fail(name, f"{url} reachable, but no migrations were applied", upgrade)
    unknown = {rev for rev in current if scripts.get_revision(rev) is None}
    if unknown:
        return fail(
            name,
            f"{url} is at revision {', '.join(sorted(unknown))}, which this version of "
            "Outreach does not know",
            "install the version of Outreach that migrated the database, or a newer one",
        )
    return fail(
        name,
        f"{url} is at revision {', '.join(sorted(current))}, the code expects "
        f"{', '.join(sorted(heads))}",
        upgrade,
    )


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def redis(app: Flask) -> Result:
    name = "Redis"
    url = app.config.get("REDIS_URL") or ""
    if not url:
        socket = embedded_socket(app.instance_path)
        if not Path(socket).exists():
            return fail(
                name,
                f"REDIS_URL is not set and the embedded Redis is not running ({socket})",
                "start `outreach dev`, or set REDIS_URL to a Redis server",
            )
        url = f"unix://{socket}"
    shown = _hide_password(url)
    client = Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    try:
        client.ping()
        memory = client.info("memory")
        persistence = client.info("persistence")
        snapshots = _snapshots(client)
    except Exception as exc:
        return fail(
            name,
            f"cannot reach {shown}: {_first_line(exc)}",
            "check REDIS_URL and that Redis is running",
        )
    finally:
        client.close()
    policy = memory.get("maxmemory_policy", "")
    if policy != "noeviction":
        return fail(
            name,
            f"{shown}: maxmemory-policy is {policy}, so Redis may drop queued work",
            "run Redis with --maxmemory-policy noeviction",
        )
    if str(persistence.get("aof_enabled")) == "1":
        return ok(name, f"{shown} reachable, noeviction, append-only file on")
    if snapshots:
        return ok(
            name,
            f"{shown} reachable, noeviction, snapshots only "
            "(appendonly yes keeps every queued job across a restart)",
        )
    return fail(
        name,
        f"{shown}: neither the append-only file nor snapshots are on; a restart loses the queues",
        "run Redis with --appendonly yes",
    )


def _snapshots(client: Redis) -> bool:
    try:
        save = client.config_get("save").get("save", "")
    except Exception:  # CONFIG is often disabled on managed Redis: assume its defaults.
        return True
    return bool(str(save).strip())


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def mail(app: Flask) -> Result:
    name = "mail server"
    config = app.config
    host, port = str(config["MAIL_SERVER"]), int(config["MAIL_PORT"])
    if config.get("MAIL_CATCHER_BUILTIN"):
        if config.get("ENV_NAME") == "production":
            return fail(
                name,
                "MAIL_SERVER is not set: letters would go to the built-in mail catcher",
                "set MAIL_SERVER, MAIL_PORT and, as needed, MAIL_USE_TLS, MAIL_USERNAME and "
                "MAIL_PASSWORD",
            )
        where = f"the built-in mail catcher on {host}:{port}"
        unreachable_fix = (
            "start `outreach dev` (or `outreach mailcatcher`), or set MAIL_SERVER to a real one"
        )
    else:
        where = f"{host}:{port}"
        unreachable_fix = "check MAIL_SERVER, MAIL_PORT and MAIL_USE_SSL"
    steps: list[str] = []
    try:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if config.get("MAIL_USE_SSL"):
            client = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
            steps.append("TLS")
        else:
            client = smtplib.SMTP(host, port, timeout=TIMEOUT)
    except Exception as exc:
        return fail(name, f"cannot reach {where}: {_first_line(exc)}", unreachable_fix)
    try:
        code, _ = client.ehlo()
        if code != 250:
            return fail(name, f"{where} answered EHLO with {code}", unreachable_fix)
        steps.append("EHLO")
        if config.get("MAIL_USE_TLS"):
            if not client.has_extn("starttls"):
                return fail(
                    name,
                    f"{where} does not offer STARTTLS",
                    "turn MAIL_USE_TLS off, or use the server's STARTTLS port (587)",
                )
            client.starttls(context=context)
            client.ehlo()
            steps.append("STARTTLS")
        if config.get("MAIL_USERNAME"):
            try:
                client.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            except smtplib.SMTPAuthenticationError as exc:
                return fail(
                    name,
                    f"{where} refused the login of MAIL_USERNAME ({exc.smtp_code})",
                    "check MAIL_USERNAME and MAIL_PASSWORD",
                )
            steps.append("login")
    except Exception as exc:
        return fail(
            name,
            f"{where}: {' and '.join(steps) or 'connected'}, then {_first_line(exc)}",
            "check MAIL_USE_TLS / MAIL_USE_SSL against the server's port",
        )
    finally:
        try:
            client.quit()
        except Exception:
            client.close()
    return ok(name, f"{where}: {', '.join(steps)}")


def imap(app: Flask) -> Result:
    name = "IMAP"
    config = MailboxConfig.from_config(app.config)
    if not config.host:
        return Result(name, Status.SKIPPED, "IMAP_HOST is not set: no mailbox is read")
    if not config.configured:
        return fail(
            name, "IMAP_HOST is set but IMAP_USER is not", "set IMAP_USER and IMAP_PASSWORD"
        )
    try:
        mailbox = connect(dataclasses.replace(config, timeout=min(config.timeout, TIMEOUT)))
    except MailboxError as exc:
        return fail(
            name,
            str(exc),
            "check IMAP_HOST, IMAP_PORT, IMAP_TLS / IMAP_STARTTLS, IMAP_USER, IMAP_PASSWORD "
            "and IMAP_FOLDER",
        )
    mailbox.close()
    return ok(name, f"{config.host}:{config.port}, folder {config.folder} opened read-only")


def letter_templates(app: Flask) -> Result:
    name = "letter templates"
    with app.app_context():
        folder = sources.folder()
        try:
            session = db.session()
            fallback = office.values(session)["fallback_language"]
            missing = [x for x in LetterKind if fallback not in sources.languages(x, session)]
        except Exception:
            db.session.rollback()
            fallback = office.defaults()["fallback_language"]
            missing = [x for x in LetterKind if fallback not in sources.languages(x)]
        finally:
            db.session.remove()
    if not Path(folder).is_dir():
        return fail(
            name,
            f"no folder {folder}",
            "set LETTER_TEMPLATES_DIR to a folder of <letter>/<language>.txt files, or unset it",
        )
    if missing:
        return fail(
            name,
            f"no {', '.join(missing)} template in {fallback}, the fallback language, in {folder}",
            f"add <letter>/{fallback}.txt to {folder}, save the letter on the Templates page, "
            "or choose another fallback language in Settings",
        )
    count = len(sources.shipped(folder))
    return ok(name, f"{count} files in {folder}; every letter exists in {fallback} (fallback)")


def time_zone(app: Flask) -> Result:
    name = "time zone"
    zone = str(app.config.get("BABEL_DEFAULT_TIMEZONE") or "")
    try:
        zoneinfo.ZoneInfo(zone)
        pytz.timezone(zone)
    except (zoneinfo.ZoneInfoNotFoundError, pytz.UnknownTimeZoneError, ValueError):
        return fail(
            name,
            f"unknown time zone {zone!r}",
            "set OUTREACH_TIMEZONE to an IANA name such as Europe/Kyiv",
        )
    return ok(name, zone)


CHECKS: tuple[Callable[[Flask], Result], ...] = (
    database,
    redis,
    mail,
    imap,
    letter_templates,
    time_zone,
)


def run(app: Flask, *, refused_secret: str | None = None) -> list[Result]:
    """Every check, in order; the first is the secret key."""
    results = [secret_key(app, refused_secret)]
    for check in CHECKS:
        try:
            results.append(check(app))
        except Exception as exc:  # a bug in a check must not hide the others
            results.append(fail(check.__name__, _first_line(exc), "report this as a bug"))
    return results
