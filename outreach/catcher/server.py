"""The SMTP side of the mail catcher: every message received is stored in the database."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask

from outreach.catcher import services
from outreach.extensions import db

log = logging.getLogger(__name__)


class StoreHandler:
    """aiosmtpd handler: one committed row per message, inside the app context."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        with self.app.app_context():
            try:
                services.store(db.session, envelope.mail_from or "", envelope.rcpt_tos, raw)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("mail catcher: could not store a message")
                return "451 Requested action aborted: local error in processing"
            finally:
                db.session.remove()
        return "250 Message accepted for delivery"


def start(app: Flask, host: str = "127.0.0.1", port: int | None = None) -> Controller:
    """Start the catcher's SMTP server in a background thread; ``stop()`` the result."""
    controller = Controller(
        StoreHandler(app),
        hostname=host,
        port=port if port is not None else int(app.config["MAIL_CATCHER_PORT"]),
        enable_SMTPUTF8=True,
        ready_timeout=10,
    )
    controller.start()
    return controller


def serve(app: Flask, host: str = "127.0.0.1", port: int | None = None) -> None:
    """Run the catcher in the foreground until SIGINT or SIGTERM."""
    stopping = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    controller = start(app, host, port)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        controller.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
