"""SMTP delivery: building the message and classifying the server's answer per recipient.

One :class:`Mailer` holds one connection, reused for a chunk of letters and reopened when
the server drops it between letters. Every send ends in an :class:`Outcome`:

- ``sent``: the server answered 2xx to the message (its reply is kept);
- ``retry``: a 4xx answer, or the connection failed before the message was handed over;
- ``failed``: a 5xx answer (the reason is kept);
- ``unknown``: the connection broke or timed out after the DATA command, so the server may
  or may not have accepted the message; it is never resent automatically.
"""

from __future__ import annotations

import base64
import functools
import secrets
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

from outreach.clock import utcnow


class HeaderError(ValueError):
    """A header value that must not be sent (line breaks, several addresses)."""


def check_header(field: str, value: str) -> None:
    if any(ch in value for ch in "\r\n\x00"):
        raise HeaderError(f"{field}: line breaks are not allowed in a mail header")


def check_address(field: str, value: str) -> None:
    """One plain address: no line breaks, no display name, no second address."""
    check_header(field, value)
    if (
        not value
        or value.count("@") != 1
        or any(ch in value for ch in ' ,;<>()"\t')
        or parseaddr(value)[1] != value
    ):
        raise HeaderError(f"{field}: {value!r} is not a single valid address")


def _header(value: str) -> str:
    """A header value as 7-bit text: RFC 2047 base64 encoded words when it is not ASCII,
    each under 76 characters, folded onto continuation lines."""
    if value.isascii():
        return value
    words, chunk = [], ""
    for ch in value:
        if len((chunk + ch).encode("utf-8")) > 39:
            words.append(chunk)
            chunk = ""
        chunk += ch
    words.append(chunk)
    encoded = (base64.b64encode(w.encode("utf-8")).decode("ascii") for w in words)
    return "\r\n ".join(f"=?utf-8?b?{w}?=" for w in encoded)


def _address(name: str, address: str) -> str:
    return formataddr((name, address), charset="utf-8") if name else address


def _body(content: str) -> bytes:
    return base64.encodebytes(content.encode("utf-8")).replace(b"\n", b"\r\n")


def letter_message(letter: Any, *, sender: str, reply_to: str = "") -> bytes:
    """:func:`build_message` for a letter row (anything with the outbox letter's columns)."""
    return build_message(
        sender=sender,
        reply_to=reply_to,
        to_address=letter.to_address,
        to_name=letter.to_name,
        subject=letter.subject,
        text=letter.text,
        html=letter.html,
        message_id=letter.message_id,
        language=letter.language,
        in_reply_to=getattr(letter, "in_reply_to", "") or "",
    )


def build_message(
    *,
    sender: str,
    reply_to: str,
    to_address: str,
    to_name: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    language: str,
    in_reply_to: str = "",
) -> bytes:
    """The message as bytes, with text and HTML alternatives.

    Written out directly (headers RFC 2047-encoded by ``email.header``, bodies base64): the
    same MIME structure ``email.mime`` produces, about ten times faster than letting the
    ``email`` package fold every header, which cost more than sending the message.
    Header values were checked for line breaks before the letter was queued.
    """
    boundary = "=_" + secrets.token_hex(16)
    headers = [
        f"Subject: {_header(subject)}",
        f"From: {sender}",
        f"To: {_address(to_name, to_address)}",
        *([f"Reply-To: {reply_to}"] if reply_to else []),
        f"Date: {format_datetime(utcnow().replace(tzinfo=UTC))}",
        f"Message-ID: {message_id}",
        f"Content-Language: {language}",
        *([f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"] if in_reply_to else []),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    part = 'Content-Type: text/{}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    return b"".join(
        (
            "\r\n".join(headers).encode("ascii"),
            f"\r\n\r\n--{boundary}\r\n{part.format('plain')}".encode("ascii"),
            _body(text),
            f"--{boundary}\r\n{part.format('html')}".encode("ascii"),
            _body(html),
            f"--{boundary}--\r\n".encode("ascii"),
        )
    )


@dataclass(frozen=True)
class Outcome:
    kind: str  # "sent" | "retry" | "failed" | "unknown"
    response: str


def classify(code: int, message: bytes | str) -> Outcome:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    reply = f"{code} {text}".strip()
    if 200 <= code < 300:
        return Outcome("sent", reply)
    if 500 <= code < 600:
        return Outcome("failed", reply)
    return Outcome("retry", reply)


class _Tracking:
    """Remembers whether DATA was issued and what the server answered to the message."""

    in_data = False
    data_reply: tuple[int, bytes] = (0, b"")

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.in_data = True
        reply = super().data(msg)  # type: ignore[misc]  # typeshed types SMTP.data's reply loosely
        self.data_reply = reply
        return reply


class _SMTP(_Tracking, smtplib.SMTP):
    pass


class _SMTPSSL(_Tracking, smtplib.SMTP_SSL):
    pass


@functools.lru_cache(maxsize=64)
def sender_address(sender: str) -> str:
    return parseaddr(sender)[1]


def format_sender(sender: str) -> str:
    """The configured sender as a 7-bit From header value."""
    name, address = parseaddr(sender)
    return _address(name, address)


class Mailer:
    """One SMTP connection, opened lazily, reused and reopened as needed."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.host = config["MAIL_SERVER"]
        self.port = int(config["MAIL_PORT"])
        self.use_ssl = bool(config.get("MAIL_USE_SSL"))
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.username = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD")
        self.timeout = float(config.get("MAIL_TIMEOUT") or 30)
        self.conn: _SMTP | _SMTPSSL | None = None

    def connect(self) -> None:
        if self.use_ssl:
            conn: _SMTP | _SMTPSSL = _SMTPSSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            conn = _SMTP(self.host, self.port, timeout=self.timeout)
            if self.use_tls:
                conn.starttls(context=ssl.create_default_context())
        if self.username:
            conn.login(self.username, self.password or "")
        self.conn = conn

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()

    def _drop(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()

    def send(self, from_address: str, to_address: str, message: bytes) -> Outcome:
        for attempt in (1, 2):
            if self.conn is None:
                try:
                    self.connect()
                except (OSError, smtplib.SMTPException) as exc:
                    self._drop()
                    return Outcome("retry", f"cannot connect to {self.host}:{self.port}: {exc}")
            conn = self.conn
            assert conn is not None
            conn.in_data = False
            try:
                refused = conn.sendmail(from_address, [to_address], message)
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = exc.recipients.get(to_address, (450, b"recipient refused"))
                outcome = classify(code, reply)
            except smtplib.SMTPResponseException as exc:
                outcome = classify(exc.smtp_code, exc.smtp_error)
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                if conn.in_data:
                    return Outcome("unknown", f"connection closed after DATA: {exc}")
                if attempt == 1:
                    continue
                return Outcome("retry", f"connection closed: {exc}")
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                if conn.in_data:
                    return Outcome("unknown", f"no answer after DATA: {exc!r}")
                return Outcome("retry", f"connection error: {exc!r}")
            else:
                if to_address in refused:
                    return classify(*refused[to_address])
                return classify(*conn.data_reply)
            if conn.sock is None:
                self.conn = None
            return outcome
        raise AssertionError("unreachable")
