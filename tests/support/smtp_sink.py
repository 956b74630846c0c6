"""A real SMTP server for tests (aiosmtpd on a free port) that captures every message.

It can be told how to answer, per recipient and per attempt::

    sink.plan("x@a.example", [451, 250])   # first RCPT gets 451, the next one 250
    sink.plan("y@a.example", [550])        # refused for good
    sink.plan("z@a.example", ["stall"])    # accept RCPT, then sleep after DATA

Codes answer the RCPT command; ``"stall"`` sleeps ``stall_seconds`` after DATA (longer than
the client's timeout) and then accepts; ``"data:451"`` answers the message itself with 451.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

REPLIES = {
    250: "250 2.1.5 OK",
    421: "421 4.3.2 Service shutting down",
    450: "450 4.2.1 Mailbox busy",
    451: "451 4.3.0 Temporary local problem, try again",
    550: "550 5.1.1 User unknown",
    552: "552 5.2.2 Mailbox full",
}


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler:
    def __init__(self, sink: SMTPSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        step = self.sink._next(address)
        if isinstance(step, int) and step != 250:
            return REPLIES.get(step, f"{step} planned reply")
        envelope.rcpt_tos.append(address)
        if isinstance(step, str):
            envelope.__dict__.setdefault("outreach_steps", []).append(step)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        steps = envelope.__dict__.get("outreach_steps", [])
        for step in steps:
            if step.startswith("data:"):
                code = int(step.split(":", 1)[1])
                return REPLIES.get(code, f"{code} planned reply")
        if "stall" in steps:
            self.sink._store(envelope)
            await asyncio.sleep(self.sink.stall_seconds)
            return "250 OK (too late)"
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        self.sink._store(envelope)
        return "250 2.0.0 Accepted"


class SMTPSink:
    def __init__(self, port: int | None = None, stall_seconds: float = 3.0) -> None:
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.stall_seconds = stall_seconds
        self.delay = 0.0
        self.messages: list[Captured] = []
        self._plans: dict[str, list[int | str]] = {}
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, ready_timeout=10
        )

    def start(self) -> SMTPSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def plan(self, address: str, replies: list[int | str]) -> None:
        """Answer ``address``'s next attempts with ``replies`` in order (then 250)."""
        with self._lock:
            self._plans[address.lower()] = list(replies)

    def attempts(self, address: str) -> int:
        return self._attempts[address.lower()]

    def _next(self, address: str) -> int | str:
        with self._lock:
            key = address.lower()
            self._attempts[key] += 1
            queue = self._plans.get(key)
            return queue.pop(0) if queue else 250

    def _store(self, envelope: Any) -> None:
        data = envelope.original_content or envelope.content
        message = email.message_from_bytes(data, policy=email.policy.default)
        with self._lock:
            self.messages.append(
                Captured(envelope.mail_from, list(envelope.rcpt_tos), data, message)
            )

    def to(self, address: str) -> list[Captured]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self._plans.clear()
            self._attempts.clear()
