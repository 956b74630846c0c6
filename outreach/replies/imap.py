"""Reading the office's IMAP mailbox: new messages only, remembered by UIDVALIDITY and UID.

The folder is opened read-only and messages are fetched with ``BODY.PEEK[]``, so the office's
own mail client still sees them as unread. The position is kept in :class:`MailboxState` and
moves forward in the same transaction that records the replies, so a crash repeats at most
the unfinished chunk (and a repeated message is a duplicate, stored once).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from outreach.clock import utcnow
from outreach.extensions import Session
from outreach.replies import parse as p
from outreach.replies.models import MailboxState, ReplySource
from outreach.replies.services import Outcome, receive

log = logging.getLogger(__name__)

#: Messages handled per transaction.
CHUNK = 50


class MailboxError(RuntimeError):
    """The mailbox could not be read (connection, login, folder); the message says why."""


@dataclass(frozen=True)
class MailboxConfig:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    tls: bool = True
    starttls: bool = False
    ca_file: str = ""
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailboxConfig:
        tls = bool(config.get("IMAP_TLS", True))
        starttls = bool(config.get("IMAP_STARTTLS", False))
        default_port = 993 if tls and not starttls else 143
        return cls(
            host=str(config.get("IMAP_HOST") or ""),
            port=int(config.get("IMAP_PORT") or default_port),
            user=str(config.get("IMAP_USER") or ""),
            password=str(config.get("IMAP_PASSWORD") or ""),
            folder=str(config.get("IMAP_FOLDER") or "INBOX"),
            tls=tls and not starttls,
            starttls=starttls,
            ca_file=str(config.get("IMAP_CA_FILE") or ""),
            timeout=float(config.get("IMAP_TIMEOUT") or 30),
        )

    @property
    def configured(self) -> bool:
        return bool(self.host and self.user)

    @property
    def key(self) -> str:
        """The mailbox folder's name in :class:`MailboxState`."""
        return f"{self.user}@{self.host}/{self.folder}"


@dataclass
class Mailbox:
    """An open, selected folder and the UIDVALIDITY the server reported for it."""

    client: imaplib.IMAP4
    uidvalidity: int

    def close(self) -> None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self.client.logout()


def connect(config: MailboxConfig) -> Mailbox:
    """Log in and select the folder read-only."""
    if not config.configured:
        raise MailboxError("IMAP_HOST and IMAP_USER are not set")
    context = ssl.create_default_context(cafile=config.ca_file or None)
    try:
        if config.tls:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                config.host, config.port, ssl_context=context, timeout=config.timeout
            )
        else:
            client = imaplib.IMAP4(config.host, config.port, timeout=config.timeout)
            if config.starttls:
                client.starttls(ssl_context=context)
        client.login(config.user, config.password)
        status, _ = client.select(_quote(config.folder), readonly=True)
        if status != "OK":
            client.logout()
            raise MailboxError(f"IMAP_FOLDER: no folder {config.folder!r} on {config.host}")
        _, data = client.response("UIDVALIDITY")
        if not data or data[-1] is None:
            _, data = client.status(_quote(config.folder), "(UIDVALIDITY)")
            found = re.search(rb"UIDVALIDITY (\d+)", (data or [b""])[0] or b"")
            if not found:
                client.logout()
                raise MailboxError("the server did not report the folder's UIDVALIDITY")
            data = [found.group(1)]
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise MailboxError(f"cannot read {config.host}:{config.port}: {exc}") from exc
    return Mailbox(client, int(data[-1]))


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _new_uids(client: imaplib.IMAP4, after: int) -> list[int]:
    status, data = client.uid("SEARCH", f"UID {after + 1}:*")
    if status != "OK":
        raise MailboxError(f"UID SEARCH failed: {data!r}")
    uids = [int(x) for x in (data[0] or b"").split()]
    # "n:*" always includes the newest message even when its UID is below n.
    return sorted(u for u in uids if u > after)


def _fetch(client: imaplib.IMAP4, uid: int) -> bytes | None:
    status, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        raise MailboxError(f"FETCH of UID {uid} failed: {data!r}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None  # expunged meanwhile


@dataclass
class FetchResult:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    more: bool = False
    reset: bool = False

    def extend(self, other: FetchResult) -> None:
        self.outcomes.extend(other.outcomes)
        self.skipped.extend(other.skipped)
        self.reset = self.reset or other.reset
        self.more = other.more


def state_for(session: Session, key: str) -> MailboxState:
    state = session.scalar(select(MailboxState).where(MailboxState.mailbox == key))
    if state is None:
        state = MailboxState(mailbox=key, uidvalidity=0, last_uid=0)
        session.add(state)
        session.flush()
    return state


def fetch_chunk(
    session: Session, mailbox: Mailbox, config: MailboxConfig, *, limit: int = CHUNK
) -> FetchResult:
    """Record up to ``limit`` new messages and move the mailbox position past them (flushed).

    A message that cannot be read is skipped with a logged reason; it does not stop the rest.
    When the folder's UIDVALIDITY changed, the folder is read again from the start (messages
    already recorded are recognised by their Message-ID).
    """
    result = FetchResult()
    state = state_for(session, config.key)
    uidvalidity = mailbox.uidvalidity
    client = mailbox.client
    if state.uidvalidity != uidvalidity:
        if state.uidvalidity:
            log.warning(
                "UIDVALIDITY of %s changed from %s to %s: reading the folder again",
                config.key,
                state.uidvalidity,
                uidvalidity,
            )
            result.reset = True
        state.uidvalidity = uidvalidity
        state.last_uid = 0
    uids = _new_uids(client, state.last_uid)
    for uid in uids[:limit]:
        raw = _fetch(client, uid)
        if raw is None:
            state.last_uid = uid
            continue
        try:
            result.outcomes.append(receive(session, raw, source=ReplySource.IMAP.value))
        except p.ParseError as exc:
            log.warning("skipped message UID %s in %s: %s", uid, config.key, exc)
            result.skipped.append((uid, str(exc)))
        state.last_uid = uid
    result.more = len(uids) > limit
    state.checked_at = utcnow()
    session.flush()
    return result
