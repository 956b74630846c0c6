"""Reading an incoming message: who sent it, what it answers, and what kind of answer it is.

Everything here works on raw bytes and knows nothing of the database. A message that cannot
be understood raises :class:`ParseError` with a reason for the log; the caller skips it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, cast

from outreach.replies.kinds import ReplyKind

#: Longest text kept from a message body.
MAX_TEXT = 100_000

#: Out-of-office phrases in the letter languages (uk, en, pl, de, it, lv, lt, fr), matched
#: anywhere in the subject as whole words, case- and accent-insensitively.
AUTO_SUBJECT_PHRASES = (
    # en
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "automatic response",
    "out of office",
    "out of the office",
    "away from the office",
    "vacation reply",
    # de
    "abwesenheitsnotiz",
    "automatische antwort",
    "automatische abwesenheitsnotiz",
    "nicht im büro",
    "außer haus",
    # pl
    "odpowiedź automatyczna",
    "automatyczna odpowiedź",
    "poza biurem",
    # it
    "risposta automatica",
    "fuori sede",
    "fuori ufficio",
    # lv
    "automātiskā atbilde",
    "automātiska atbilde",
    "prombūtnē",
    "nav birojā",
    # lt
    "automatinis atsakymas",
    "automatinis atsakymo laiškas",
    "ne biure",
    # fr
    "réponse automatique",
    "absent du bureau",
    "message d'absence",
    # uk
    "автоматична відповідь",
    "автовідповідь",
    "поза офісом",
)

#: Single words that mean "away" only when they open the subject ("Absence: …").
AUTO_SUBJECT_PREFIXES = (
    "absence",
    "abwesend",
    "abwesenheit",
    "urlaub",
    "nieobecność",
    "assente",
    "assenza",
    "prombūtne",
    "nebuvimas",
    "відсутність",
    "відпустка",
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


_PHRASE_RE = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(_fold(p)) for p in AUTO_SUBJECT_PHRASES) + r")(?!\w)"
)
_PREFIX_RE = re.compile(
    r"^\W*(?:(?:re|aw|odp|ris|sv|vs|réf|rif|tr|fwd?)\s*:\s*)*("
    + "|".join(re.escape(_fold(p)) for p in AUTO_SUBJECT_PREFIXES)
    + r")(?!\w)"
)
_MSGID_RE = re.compile(r"<[^<>\s]+>")


class ParseError(ValueError):
    """The message cannot be read; ``str(exc)`` is the reason."""


@dataclass
class Bounce:
    """What a delivery-status notification says about the letter it returns."""

    original_message_id: str = ""
    recipient: str = ""
    status: str = ""
    diagnostic: str = ""

    @property
    def reason(self) -> str:
        return " ".join(part for part in (self.status, self.diagnostic) if part)[:1000]


@dataclass
class Parsed:
    message_id: str
    sender: str
    sender_name: str = ""
    subject: str = ""
    date: datetime | None = None
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    text: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    kind: ReplyKind = ReplyKind.REPLY
    bounce: Bounce | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "sender": self.sender,
            "subject": self.subject,
            "date": self.date.isoformat() if self.date else None,
            "in_reply_to": self.in_reply_to,
            "references": self.references,
            "kind": self.kind,
            "attachments": self.attachments,
            "bounce": (
                {
                    "original_message_id": self.bounce.original_message_id,
                    "recipient": self.bounce.recipient,
                    "reason": self.bounce.reason,
                }
                if self.bounce
                else None
            ),
        }


def message_ids(value: str | None) -> list[str]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header, in order."""
    return _MSGID_RE.findall(str(value or ""))


def normalize_message_id(value: str | None) -> str:
    """One Message-ID with its angle brackets, or "" when there is none."""
    found = message_ids(value)
    if found:
        return found[0]
    value = str(value or "").strip()
    return f"<{value}>" if value and " " not in value else ""


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot fold into a value
        raw = msg.get_all(name, failobj=[None])
        value = raw[0] if raw else None
    return str(value or "").strip()


def _sender(msg: Message) -> tuple[str, str]:
    try:
        header = msg.get("From")
        addresses = getattr(header, "addresses", None)
        if addresses:
            address: Address = addresses[0]
            if address.addr_spec and "@" in address.addr_spec:
                return address.addr_spec.lower(), address.display_name or ""
    except Exception:
        pass
    for name, addr in getaddresses([_header(msg, "From")]):
        if addr and "@" in addr:
            return addr.lower(), name
    return "", ""


def _date(msg: Message) -> datetime | None:
    value = _header(msg, "Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


class _TextExtractor(HTMLParser):
    _BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _part_text(part: Message) -> str:
    try:
        return str(cast(EmailMessage, part).get_content())
    except (LookupError, UnicodeError, AttributeError, KeyError, ValueError):
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload.decode("utf-8", errors="replace")
        return str(payload or "")


def _body_text(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = _part_text(body)
    if body.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.replace("\x00", "").strip()[:MAX_TEXT]


def _attachments(msg: EmailMessage) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if not filename and part.get_content_disposition() != "attachment":
            continue
        payload = part.get_payload(decode=True)
        found.append(
            {
                "filename": str(filename or ""),
                "content_type": part.get_content_type(),
                "size": len(payload) if isinstance(payload, bytes) else 0,
            }
        )
    return found


def _is_auto_reply(msg: Message, subject: str) -> bool:
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"):
        return True
    if _header(msg, "Precedence").lower() == "auto_reply":
        return True
    folded = _fold(subject)
    return bool(_PHRASE_RE.search(folded) or _PREFIX_RE.search(folded))


def _is_report(msg: Message) -> bool:
    return (
        msg.get_content_type() == "multipart/report"
        and str(msg.get_param("report-type", "")).lower() == "delivery-status"
    )


def _looks_like_bounce(msg: Message, sender: str) -> bool:
    if _is_report(msg):
        return True
    local = sender.split("@", 1)[0].lower()
    if local not in ("mailer-daemon", "postmaster"):
        return False
    return any(
        part.get_content_type() in ("message/rfc822", "text/rfc822-headers") for part in msg.walk()
    )


def _status_fields(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status part (per message, then per recipient)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    return [HeaderParser().parsestr(block) for block in re.split(r"\r?\n\r?\n", text) if block]


def _bounce(msg: Message) -> Bounce:
    info = Bounce()
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            for block in _status_fields(part):
                recipient = str(
                    block.get("Final-Recipient") or block.get("Original-Recipient") or ""
                )
                if recipient and not info.recipient:
                    info.recipient = recipient.split(";", 1)[-1].strip().strip("<>").lower()
                    info.status = str(block.get("Status") or "").strip()
                    diagnostic = str(block.get("Diagnostic-Code") or "")
                    info.diagnostic = " ".join(diagnostic.split(";", 1)[-1].split())
        elif ctype == "message/rfc822" and not info.original_message_id:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                info.original_message_id = normalize_message_id(_header(inner[0], "Message-ID"))
        elif ctype == "text/rfc822-headers" and not info.original_message_id:
            headers = HeaderParser().parsestr(_part_text(part))
            info.original_message_id = normalize_message_id(headers.get("Message-ID"))
    return info


def fallback_message_id(raw: bytes) -> str:
    """A stable Message-ID for a message that has none, so a second copy is still a duplicate."""
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"


def parse(raw: bytes) -> Parsed:
    """Read ``raw``; raises :class:`ParseError` when it is not a message we can use."""
    if not raw or not raw.strip():
        raise ParseError("the message is empty")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; anything raised here is fatal
        raise ParseError(f"unreadable message: {exc}") from exc
    if not isinstance(msg, EmailMessage) or not msg.keys():
        raise ParseError("no headers")
    sender, sender_name = _sender(msg)
    if not sender:
        raise ParseError("no sender address in From")
    try:
        subject = " ".join(_header(msg, "Subject").split())[:500]
        parsed = Parsed(
            message_id=normalize_message_id(_header(msg, "Message-ID")) or fallback_message_id(raw),
            sender=sender,
            sender_name=sender_name,
            subject=subject,
            date=_date(msg),
            in_reply_to=normalize_message_id(_header(msg, "In-Reply-To")),
            references=message_ids(_header(msg, "References")),
            text=_body_text(msg),
            attachments=_attachments(msg),
        )
        if _looks_like_bounce(msg, sender):
            parsed.kind = ReplyKind.BOUNCE
            parsed.bounce = _bounce(msg)
            parsed.attachments = []
        elif _is_auto_reply(msg, subject):
            parsed.kind = ReplyKind.AUTO_REPLY
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"unreadable message: {type(exc).__name__}: {exc}") from exc
    return parsed
