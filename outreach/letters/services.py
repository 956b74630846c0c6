"""Letter services for pages, the CLI and the mailing queue: listings, summaries, test copies."""

from __future__ import annotations

import smtplib
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import flask_mail
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from outreach.extensions import Session
from outreach.letters import sources
from outreach.letters.i18n import _
from outreach.letters.kinds import LetterKind
from outreach.letters.models import LetterTemplate
from outreach.letters.render import RenderedLetter, Renderer, RenderError
from outreach.locales import language_name
from outreach.pipeline.models import Municipality

_CHUNK = 500


@dataclass(frozen=True)
class TemplateEntry:
    letter: str
    language: str
    version: int
    source: str  # "file" or "custom"
    version_id: int | None
    has_file: bool
    versions: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "letter": self.letter,
            "language": self.language,
            "language_name": language_name(self.language, "en"),
            "version": self.version,
            "source": self.source,
            "version_id": self.version_id,
            "has_file": self.has_file,
            "versions": self.versions,
        }


def template_table(session: Session) -> list[TemplateEntry]:
    """Every letter x language with where its active text comes from."""
    newest: dict[tuple[str, str], tuple[int, int | None, int]] = {}
    rows = session.execute(
        select(
            LetterTemplate.letter,
            LetterTemplate.language,
            func.max(LetterTemplate.version),
            func.count(LetterTemplate.id),
        ).group_by(LetterTemplate.letter, LetterTemplate.language)
    ).all()
    for letter, language, version, count in rows:
        row_id = session.scalar(
            select(LetterTemplate.id).where(
                LetterTemplate.letter == letter,
                LetterTemplate.language == language,
                LetterTemplate.version == version,
            )
        )
        newest[(letter, language)] = (version, row_id, count)
    files = sources.shipped()
    entries = []
    for letter, language in sorted(set(files) | set(newest)):
        if (letter, language) in newest:
            version, row_id, count = newest[(letter, language)]
            entries.append(
                TemplateEntry(
                    letter, language, version, "custom", row_id, (letter, language) in files, count
                )
            )
        else:
            entries.append(TemplateEntry(letter, language, 0, "file", None, True, 0))
    order = {kind.value: i for i, kind in enumerate(LetterKind)}
    entries.sort(key=lambda e: (order.get(e.letter, 99), e.letter, e.language))
    return entries


def _municipalities(session: Session, ids: list[int]) -> list[Municipality]:
    found: list[Municipality] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found.extend(
            session.scalars(
                select(Municipality)
                .where(Municipality.id.in_(chunk))
                .options(selectinload(Municipality.contacts))
            )
        )
    found.sort(key=lambda m: m.id)
    return found


def language_summary(
    session: Session, municipality_ids: list[int], letter: LetterKind
) -> dict[str, Any]:
    """How many recipients get each language, and who falls back (and why).

    Returns ``{language: count, ..., "fallbacks": [(id, name, reason), ...]}``. A recipient
    falls back when its preferred language has no template; a recipient for whom no template
    exists at all is listed with the error as its reason and not counted.
    """
    renderer = Renderer(session, letter)
    counts: Counter[str] = Counter()
    fallbacks: list[tuple[int, str, str]] = []
    for municipality in _municipalities(session, list(municipality_ids)):
        try:
            choice = renderer.language_for(municipality, municipality.primary_contact)
        except RenderError as exc:
            fallbacks.append((municipality.id, municipality.name, str(exc)))
            continue
        counts[choice.language] += 1
        if choice.fallback:
            fallbacks.append((municipality.id, municipality.name, choice.reason))
    summary: dict[str, Any] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    summary["fallbacks"] = fallbacks
    return summary


class _TimedConnection(flask_mail.Connection):
    """Flask-Mail's connection with a socket timeout (Flask-Mail sets none)."""

    def __init__(self, mail: Any, timeout: float) -> None:
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        mail = self.mail
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=self.timeout)
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


class SendError(RuntimeError):
    """A test copy that could not be handed to the mail server."""


def send_test_copy(rendered: RenderedLetter, recipient: str) -> None:
    """Send ``rendered`` to ``recipient`` now, marked as a test ("[TEST] ", X-Outreach-Test).

    Uses the mail settings of the running configuration (read at send time) and
    ``MAIL_TIMEOUT`` seconds as the socket timeout.
    """
    config = current_app.config
    message = flask_mail.Message(
        subject="[TEST] " + rendered.subject,
        recipients=[recipient],
        body=rendered.text,
        html=rendered.html,
        sender=config.get("MAIL_DEFAULT_SENDER"),
        extra_headers={
            "X-Outreach-Test": "1",
            "X-Outreach-Letter": f"{rendered.letter}/{rendered.language} v{rendered.version}",
        },
    )
    if message.has_bad_headers():
        raise SendError(_("the letter's headers contain a line break"))
    state = flask_mail._Mail(
        server=config.get("MAIL_SERVER", "127.0.0.1"),
        username=config.get("MAIL_USERNAME"),
        password=config.get("MAIL_PASSWORD"),
        port=config.get("MAIL_PORT", 25),
        use_tls=bool(config.get("MAIL_USE_TLS")),
        use_ssl=bool(config.get("MAIL_USE_SSL")),
        default_sender=config.get("MAIL_DEFAULT_SENDER"),
        debug=0,
        max_emails=None,
        suppress=False,
        ascii_attachments=False,
    )
    try:
        with _TimedConnection(state, float(config.get("MAIL_TIMEOUT", 30))) as connection:
            assert connection.host is not None
            if message.date is None:
                message.date = time.time()
            refused = connection.host.sendmail(
                flask_mail.sanitize_address(message.sender),
                [recipient],
                message.as_bytes(),
            )
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(_("the mail server did not accept the test copy: %(e)s", e=exc)) from exc
    if refused:
        raise SendError(_("the mail server refused %(to)s: %(why)s", to=recipient, why=refused))
