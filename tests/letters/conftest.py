"""Fixtures for letters: our office's settings, demo candidates, a candidate factory, SMTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from outreach.extensions import db
from outreach.letters import office
from outreach.pipeline import services as pipeline


@pytest.fixture
def settings(app: Flask) -> dict[str, Any]:
    row = office.update(
        db.session,
        {
            "signatory_name": "Оксана Приклад",
            "signatory_gender": "f",
            "sender_phone": "+380 4644 2 11 11",
        },
    )
    db.session.commit()
    return {name: getattr(row, name) for name in office.FIELDS}


@pytest.fixture
def demo(app: Flask, settings: dict[str, Any]) -> list[Any]:
    from sqlalchemy import select

    from outreach.demo import load_demo_data
    from outreach.pipeline.models import Municipality

    load_demo_data(db.session)
    db.session.commit()
    return list(db.session.scalars(select(Municipality).order_by(Municipality.id)))


@pytest.fixture
def make_candidate(app: Flask, settings: dict[str, Any]) -> Any:
    def make(name: str, country: str, languages: str = "", contact: dict | None = None, **kw):
        fields = {"name": name, "country": country, "languages": languages, **kw}
        municipality = pipeline.create_candidate(db.session, fields, user_id=None, contact=contact)
        db.session.commit()
        return municipality

    return make


class _Sink:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Sink]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()
