"""Reading the office's IMAP mailbox: new messages only, remembered by UIDVALIDITY and UID.

The connection is IMAPClient's (folder names in modified UTF-7, so "Відповіді" works). The
folder is opened read-only and messages are fetched with ``BODY.PEEK[]``, so the office's own
mail client still sees them as unread. Messages are fetched in batches: their sizes first,
then the bodies of several at once; a message larger than
:data:`outreach.replies.parse.MAX_MESSAGE_BYTES` is not downloaded but quarantined with its
header. The position is kept in :class:`MailboxState` and moves forward in the same
transaction that records the replies (and the quarantined messages), so a crash repeats at
most the unfinished chunk (and a repeated message is a duplicate, stored once).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy import select

from outreach.clock import utcnow
from outreach.extensions import Session
from outreach.replies import parse as p
from outreach.replies.models import MailboxState, ReplySource
from outreach.replies.quarantine import Quarantined, intake, quarantine
from outreach.replies.services import Outcome

log = logging.getLogger(__name__)

#: Messages handled per transaction.
CHUNK = 50
#: Most messages, and most bytes, downloaded by one FETCH command.
BATCH_MESSAGES = 20
BATCH_BYTES = 8 * 1024 * 1024

_ERRORS = (OSError, IMAPClientError, imaplib.IMAP4.error, ssl.SSLError, socket.timeout)


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
    """An open, read-only selected folder and the UIDVALIDITY the server reported for it."""

    client: IMAPClient
    uidvalidity: int

    def close(self) -> None:
        with contextlib.suppress(*_ERRORS):
            self.client.logout()


def connect(config: MailboxConfig) -> Mailbox:
    """Log in and select the folder read-only."""
    if not config.configured:
        raise MailboxError("IMAP_HOST and IMAP_USER are not set")
    context = ssl.create_default_context(cafile=config.ca_file or None)
    client: IMAPClient | None = None
    try:
        client = IMAPClient(
            config.host,
            port=config.port,
            ssl=config.tls,
            ssl_context=context if config.tls else None,
            timeout=config.timeout,
        )
        if config.starttls:
            client.starttls(context)
        client.login(config.user, config.password)
        try:
            selected = client.select_folder(config.folder, readonly=True)
        except IMAPClientError as exc:
            raise MailboxError(
                f"IMAP_FOLDER: no folder {config.folder!r} on {config.host} ({exc})"
            ) from exc
        uidvalidity = selected.get(b"UIDVALIDITY")
        if not uidvalidity:
            status = client.folder_status(config.folder, [b"UIDVALIDITY"])
            uidvalidity = status.get(b"UIDVALIDITY")
        if not uidvalidity:
            raise MailboxError("the server did not report the folder's UIDVALIDITY")
    except MailboxError:
        if client is not None:
            Mailbox(client, 0).close()
        raise
    except _ERRORS as exc:
        if client is not None:
            Mailbox(client, 0).close()
        raise MailboxError(f"cannot read {config.host}:{config.port}: {exc}") from exc
    return Mailbox(client, int(uidvalidity))


def _new_uids(client: IMAPClient, after: int) -> list[int]:
    try:
        uids = client.search(["UID", f"{after + 1}:*"])
    except _ERRORS as exc:
        raise MailboxError(f"UID SEARCH failed: {exc}") from exc
    # "n:*" always includes the newest message even when its UID is below n.
    return sorted(int(u) for u in uids if int(u) > after)


def _fetch(client: IMAPClient, uids: list[int], items: list[str]) -> dict[int, dict[bytes, Any]]:
    if not uids:
        return {}
    try:
        return client.fetch(uids, items)
    except _ERRORS as exc:
        raise MailboxError(f"FETCH of UIDs {uids[0]}..{uids[-1]} failed: {exc}") from exc


def _batches(sizes: dict[int, int], uids: list[int]) -> list[list[int]]:
    """Groups of UIDs to download with one FETCH each (by count and by total size)."""
    groups: list[list[int]] = []
    current: list[int] = []
    total = 0
    for uid in uids:
        size = sizes[uid]
        if current and (len(current) >= BATCH_MESSAGES or total + size > BATCH_BYTES):
            groups.append(current)
            current, total = [], 0
        current.append(uid)
        total += size
    if current:
        groups.append(current)
    return groups


@dataclass
class FetchResult:
    outcomes: list[Outcome] = field(default_factory=list)
    #: (UID, reason) of every message quarantined instead of recorded.
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

    A message that cannot be read or stored is quarantined with the reason; it does not stop
    the rest. When the folder's UIDVALIDITY changed, the folder is read again from the start
    (messages already recorded are recognised by their Message-ID).
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
    chunk = uids[:limit]
    sizes = {
        uid: int(data.get(b"RFC822.SIZE") or 0)
        for uid, data in _fetch(client, chunk, ["RFC822.SIZE"]).items()
    }
    readable = [uid for uid in chunk if uid in sizes and sizes[uid] <= p.MAX_MESSAGE_BYTES]
    bodies: dict[int, bytes] = {}
    for group in _batches(sizes, readable):
        for uid, data in _fetch(client, group, ["BODY.PEEK[]"]).items():
            body = data.get(b"BODY[]")
            if isinstance(body, bytes):
                bodies[uid] = body
    for uid in chunk:
        if uid not in sizes:  # expunged meanwhile
            state.last_uid = uid
            continue
        if uid in bodies:
            done = intake(
                session, bodies[uid], source=ReplySource.IMAP.value, mailbox=config.key, uid=uid
            )
        elif sizes[uid] > p.MAX_MESSAGE_BYTES:
            done = _too_large(session, client, config, uid, sizes[uid])
        else:
            state.last_uid = uid
            continue
        if isinstance(done, Quarantined):
            result.skipped.append((uid, done.item.reason))
        else:
            result.outcomes.append(done)
        state.last_uid = uid
    result.more = len(uids) > limit
    state.checked_at = utcnow()
    session.flush()
    return result


def _too_large(
    session: Session, client: IMAPClient, config: MailboxConfig, uid: int, size: int
) -> Quarantined:
    """Quarantine a message too large to download, keeping its header."""
    header = _fetch(client, [uid], ["BODY.PEEK[HEADER]"]).get(uid, {}).get(b"BODY[HEADER]")
    return quarantine(
        session,
        header if isinstance(header, bytes) else b"",
        f"the message is {size:,} bytes, more than the {p.MAX_MESSAGE_BYTES:,} read",
        source=ReplySource.IMAP.value,
        mailbox=config.key,
        uid=uid,
        size=size,
        complete=False,
    )
