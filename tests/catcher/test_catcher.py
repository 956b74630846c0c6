from __future__ import annotations

import html
import re
import smtplib
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from outreach.catcher import services
from outreach.catcher.models import CaughtMessage
from outreach.extensions import db

SUBJECT = "Propozycja współpracy: Żółć gęślą jaźń"
SCRIPT = "<script>alert('caught-xss')</script>"


def letter(subject: str = SUBJECT, html_body: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Office <office@outreach-test.example>"
    message["To"] = "Wójt Gminy <wojt@dabrowa.example>"
    message["Subject"] = subject
    message["Message-ID"] = "<letter-1@outreach-test.example>"
    message.set_content("Szanowny Panie Wójcie,\nz przyjemnością piszemy…\n")
    message.add_alternative(
        html_body or "<p>Szanowny Panie <b>Wójcie</b>,</p><p>z przyjemnością piszemy…</p>",
        subtype="html",
    )
    return message


def send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(
            message, from_addr="office@outreach-test.example", to_addrs=["wojt@dabrowa.example"]
        )


def caught(app: Flask) -> list[CaughtMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(CaughtMessage).order_by(CaughtMessage.id)))


def test_a_sent_letter_is_stored_and_listed(
    app: Flask, client: FlaskClient, login_as: Any, catcher: int
) -> None:
    send(catcher, letter())

    [message] = caught(app)
    assert message.subject == SUBJECT
    assert message.mail_from == "office@outreach-test.example"
    assert message.recipients == ["wojt@dabrowa.example"]
    assert message.message_id == "<letter-1@outreach-test.example>"
    assert message.size == len(message.raw) > 0

    login_as("coordinator")
    page = client.get("/catcher")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert SUBJECT in text
    assert "wojt@dabrowa.example" in text
    assert f"/catcher/{message.id}" in text

    shown = client.get(f"/catcher/{message.id}")
    assert shown.status_code == 200
    body = shown.get_data(as_text=True)
    assert SUBJECT in body
    assert "Szanowny Panie Wójcie," in body  # the text part
    assert "<iframe" in body and "srcdoc=" in body
    assert "Content-Security-Policy" in shown.headers

    eml = client.get(f"/catcher/{message.id}.eml")
    assert eml.status_code == 200
    assert eml.mimetype == "message/rfc822"
    assert "attachment" in eml.headers["Content-Disposition"]
    assert services.parse(eml.data)["Subject"] == SUBJECT


def test_the_list_is_newest_first_and_paginated(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    for number in range(55):
        services.store(
            db.session,
            "office@outreach-test.example",
            ["a@example.org", "b@example.org"],
            letter(subject=f"Letter number {number:02d}").as_bytes(),
        )
        db.session.flush()
    db.session.commit()
    login_as("coordinator")
    first = client.get("/catcher").get_data(as_text=True)
    assert "Letter number 54" in first
    assert "Letter number 04" not in first
    assert first.index("Letter number 54") < first.index("Letter number 53")
    assert "a@example.org, b@example.org" in first
    second = client.get("/catcher?page=2").get_data(as_text=True)
    assert "Letter number 04" in second and "Letter number 00" in second
    assert "Letter number 54" not in second


def test_viewers_may_not_see_caught_mail(app: Flask, client: FlaskClient, login_as: Any) -> None:
    message = services.store(db.session, "x@example.org", ["y@example.org"], letter().as_bytes())
    db.session.commit()
    login_as("viewer")
    assert client.get("/catcher").status_code == 403
    assert client.get(f"/catcher/{message.id}").status_code == 403
    assert client.get(f"/catcher/{message.id}.eml").status_code == 403
    assert client.post("/catcher/delete-all").status_code == 403
    assert len(caught(app)) == 1


@pytest.mark.config(MAIL_CATCHER_BUILTIN=True)
def test_nav_entry_only_for_the_builtin_catcher(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    login_as("coordinator")
    board = client.get("/catcher").get_data(as_text=True)
    assert ">Mail catcher</a>" in board


@pytest.mark.config(MAIL_CATCHER_BUILTIN=False)
def test_no_nav_entry_with_a_real_mail_server(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    login_as("admin")
    page = client.get("/catcher").get_data(as_text=True)
    assert ">Mail catcher</a>" not in page


def test_scripts_in_a_letter_stay_inside_the_sandboxed_frame(
    app: Flask, client: FlaskClient, login_as: Any, catcher: int
) -> None:
    hostile = f'<p>Hello</p>{SCRIPT}<img src="https://tracker.example/p.gif" onerror="x()">'
    send(catcher, letter(subject=f"Hi {SCRIPT}", html_body=hostile))
    [message] = caught(app)
    login_as("coordinator")
    body = client.get(f"/catcher/{message.id}").get_data(as_text=True)

    assert "caught-xss" in body
    assert "<script>alert" not in body
    assert 'onerror="x()"' not in body
    frames = re.findall(r"<iframe([^>]*)>", body)
    assert len(frames) == 1
    attributes = frames[0]
    assert re.search(r'\ssandbox=""', attributes)
    assert "allow-scripts" not in attributes
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', attributes).group(1))
    assert SCRIPT in srcdoc
    assert "default-src 'none'" in srcdoc  # the frame's own policy comes first
    # The only <script> elements in the page are the application's own.
    for tag in re.findall(r"<script[^>]*>", body):
        assert "src=" in tag and "/static/" in tag


@pytest.mark.csrf
def test_delete_all_needs_the_csrf_token(app: Flask, client: FlaskClient, login_as: Any) -> None:
    services.store(db.session, "x@example.org", ["y@example.org"], letter().as_bytes())
    db.session.commit()
    login_as("coordinator")
    assert client.post("/catcher/delete-all").status_code == 400
    assert len(caught(app)) == 1

    page = client.get("/catcher").get_data(as_text=True)
    token = re.search(
        r'action="/catcher/delete-all".*?name="csrf_token" value="([^"]+)"', page, re.S
    ).group(1)
    response = client.post("/catcher/delete-all", data={"csrf_token": token})
    assert response.status_code == 302
    assert caught(app) == []
    assert "No mail caught yet" in client.get("/catcher").get_data(as_text=True)


def test_a_message_without_html_or_with_odd_headers_is_kept(
    app: Flask, client: FlaskClient, login_as: Any, catcher: int
) -> None:
    raw = b"From: a@example.org\r\nSubject: =?utf-8?q?broken\r\n\r\nplain body only\r\n"
    with smtplib.SMTP("127.0.0.1", catcher, timeout=10) as smtp:
        smtp.sendmail("a@example.org", ["b@example.org"], raw)
    [message] = caught(app)
    assert message.raw.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    login_as("coordinator")
    body = client.get(f"/catcher/{message.id}").get_data(as_text=True)
    assert "plain body only" in body
    assert "<iframe" not in body
    assert db.session.scalar(select(func.count(CaughtMessage.id))) == 1


def test_mailcatcher_command_is_registered(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["mailcatcher", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output
