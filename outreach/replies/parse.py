"""Reading an incoming message: who sent it, what it answers, and what kind of answer it is.

Everything here works on raw bytes and knows nothing of the database. A message that cannot
be understood, or that is larger or has more parts than :data:`MAX_MESSAGE_BYTES` and
:data:`MAX_PARTS` allow, raises :class:`ParseError` with the reason; the caller quarantines it.
Every text taken from a message is made storable (:func:`outreach.replies.text.storable`):
no NUL characters, no lone surrogates, valid UTF-8.
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
from typing import Any, cast

from flufl.bounce import all_failures

from outreach.replies.kinds import ReplyKind
from outreach.replies.text import html_to_text, reply_text, storable

#: Longest text kept from a message body.
MAX_TEXT = 100_000
#: Largest message read (bytes); a larger one is quarantined unread.
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
#: Most MIME parts read in one message; a message with more is quarantined unread.
MAX_PARTS = 500

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
_MSGID_RE = re.compile(r"<[^<>\s\x00]{1,250}>")
#: Lines that may start a MIME part: boundaries and Content-Type headers.
_PART_START = re.compile(rb"^(?:--|content-type:)", re.IGNORECASE | re.MULTILINE)
#: Subjects of warnings that a letter is delayed, not refused (they change nothing).
_DELAY_SUBJECT = re.compile(
    r"\b(?:delay(?:ed)?|not yet been delivered|verzögert|opóźnion\w*|ritardat\w*|retardé)\b",
    re.IGNORECASE,
)
_COPIED_MESSAGE_ID = re.compile(
    r"^Message-ID:[ \t]*(<[^<>\s]{1,250}>)", re.IGNORECASE | re.MULTILINE
)


class ParseError(ValueError):
    """The message cannot be read; ``str(exc)`` is the reason."""


def check_limits(raw: bytes) -> None:
    """Refuse, before parsing, a message too large or with too many parts to read safely."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ParseError(
            f"the message is {len(raw):,} bytes, more than the {MAX_MESSAGE_BYTES:,} read"
        )
    for starts, _match in enumerate(_PART_START.finditer(raw), 1):
        if starts > 2 * MAX_PARTS + 2:
            raise ParseError(f"the message has more than {MAX_PARTS} parts")


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
    #: What the sender wrote, without the quoted letter and the signature.
    reply_text: str = ""
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
    value = storable(str(value or "")).strip()
    return f"<{value}>" if value and " " not in value and len(value) <= 250 else ""


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot fold into a value
        raw = msg.get_all(name, failobj=[None])
        value = raw[0] if raw else None
    return storable(str(value or "")).strip()


def _sender(msg: Message) -> tuple[str, str]:
    try:
        header = msg.get("From")
        addresses = getattr(header, "addresses", None)
        if addresses:
            address: Address = addresses[0]
            addr = storable(address.addr_spec or "")
            if addr and "@" in addr:
                return addr.lower(), storable(address.display_name or "")
    except Exception:
        pass
    for name, addr in getaddresses([_header(msg, "From")]):
        if addr and "@" in addr:
            return storable(addr).lower(), storable(name)
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
    return storable(text).strip()[:MAX_TEXT]


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
                "filename": storable(str(filename or ""))[:255],
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


def _other_bounce(msg: Message) -> tuple[str, bool]:
    """(recipient, permanent) of a bounce in a format other than RFC 3464, as the bounce
    detectors of ``flufl.bounce`` recognise it (Exim, qmail, Exchange, Yahoo, ...)."""
    temporary, permanent = all_failures(msg)
    if _DELAY_SUBJECT.search(_header(msg, "Subject")):
        temporary, permanent = temporary | permanent, frozenset()
    for found, is_permanent in ((permanent, True), (temporary, False)):
        for address in sorted(found):
            text = address.decode("utf-8", "replace") if isinstance(address, bytes) else address
            text = storable(text).strip().strip("<>").lower()
            if "@" in text:
                return text, is_permanent
    return "", False


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


def _mark_bounce(parsed: Parsed, msg: Message, recipient: str) -> None:
    """Make ``parsed`` a bounce for ``recipient`` (a bounce in a format other than RFC 3464)."""
    parsed.kind = ReplyKind.BOUNCE
    parsed.bounce = _bounce(msg)
    parsed.bounce.recipient = parsed.bounce.recipient or recipient
    if not parsed.bounce.original_message_id:
        # The returned letter is often copied into the text: its Message-ID header.
        copied = _COPIED_MESSAGE_ID.search(parsed.text)
        parsed.bounce.original_message_id = copied.group(1) if copied else ""
    parsed.attachments = []


def fallback_message_id(raw: bytes) -> str:
    """A stable Message-ID for a message that has none, so a second copy is still a duplicate."""
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"


def parse(raw: bytes) -> Parsed:
    """Read ``raw``; raises :class:`ParseError` when it is not a message we can use."""
    if not raw or not raw.strip():
        raise ParseError("the message is empty")
    check_limits(raw)
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; anything raised here is fatal
        raise ParseError(f"unreadable message: {exc}") from exc
    if not isinstance(msg, EmailMessage) or not msg.keys():
        raise ParseError("no headers")
    parts = sum(1 for _part in msg.walk())
    if parts > MAX_PARTS:
        raise ParseError(f"the message has {parts} parts, more than the {MAX_PARTS} read")
    sender, sender_name = _sender(msg)
    if not sender:
        raise ParseError("no sender address in From")
    try:
        subject = " ".join(_header(msg, "Subject").split())[:500]
        text = _body_text(msg)
        parsed = Parsed(
            message_id=normalize_message_id(_header(msg, "Message-ID")) or fallback_message_id(raw),
            sender=sender[:254],
            sender_name=sender_name[:200],
            subject=subject,
            date=_date(msg),
            in_reply_to=normalize_message_id(_header(msg, "In-Reply-To")),
            references=message_ids(_header(msg, "References")),
            text=text,
            reply_text=text,
            attachments=_attachments(msg),
        )
        if _looks_like_bounce(msg, sender):
            parsed.kind = ReplyKind.BOUNCE
            parsed.bounce = _bounce(msg)
            parsed.attachments = []
        elif _is_auto_reply(msg, subject):
            parsed.kind = ReplyKind.AUTO_REPLY
            recipient, permanent = _other_bounce(msg)
            if recipient and permanent:
                _mark_bounce(parsed, msg, recipient)
        else:
            recipient, permanent = _other_bounce(msg)
            if recipient:
                # A permanent failure is a bounce; a delay warning changes nothing.
                parsed.kind = ReplyKind.AUTO_REPLY
                if permanent:
                    _mark_bounce(parsed, msg, recipient)
            else:
                parsed.reply_text = reply_text(text)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"unreadable message: {type(exc).__name__}: {exc}") from exc
    return parsed
