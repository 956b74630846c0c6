"""Pages: preview (escaping, sandboxed frame, test copy), template editor, settings."""

from __future__ import annotations

import email
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from outreach.extensions import db
from outreach.letters.models import LetterTemplate, OfficeSettings

GOOD = (
    "Subject: Proposal for {{ candidate.name }}\n\n{{ contact.salutation }},\n"
    "{{ us.signatory_name }}\n"
)


def test_preview_shows_language_reason_and_escapes(
    client: FlaskClient, login_as: Any, make_candidate: Any
) -> None:
    login_as("viewer")
    m = make_candidate("<script>alert(1)</script>", "LV", "lv", contact={"email": "x@lv.example"})
    page = client.get(f"/letters/preview?letter=proposal&candidate={m.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Latvian: the municipality&#39;s first language" in html
    assert 'sandbox=""' in html and "allow-scripts" not in html
    assert "Send a test copy" not in html  # viewers only look

    frame = client.get(f"/letters/preview/frame?letter=proposal&candidate={m.id}")
    assert frame.status_code == 200
    csp = frame.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "style-src 'unsafe-inline'" in csp
    assert "img-src data:" in csp
    body = frame.get_data(as_text=True)
    assert "<script>" not in body and "&lt;script&gt;" in body


def test_preview_switch_language_by_hand(
    client: FlaskClient, login_as: Any, make_candidate: Any
) -> None:
    login_as("coordinator")
    m = make_candidate("Casteltermini", "IT", "it")
    html = client.get(f"/letters/preview?letter=proposal&candidate={m.id}&language=fr").get_data(
        as_text=True
    )
    assert "French: chosen by hand" in html
    assert "Send a test copy to myself" in html


def test_language_summary_on_the_preview(
    client: FlaskClient, login_as: Any, make_candidate: Any
) -> None:
    from outreach.letters.services import language_summary

    login_as("coordinator")
    a = make_candidate("Gmina A", "PL", "pl")
    b = make_candidate("Vald B", "EE", "et")
    c = make_candidate("Gmina C", "PL", "pl")
    summary = language_summary(db.session, [a.id, b.id, c.id], "proposal")
    assert summary["pl"] == 2 and summary["en"] == 1
    assert summary["fallbacks"] == [(b.id, "Vald B", "English: no Estonian letter")]
    html = client.get("/letters/preview?letter=proposal").get_data(as_text=True)
    assert "Languages before sending" in html and "English: no Estonian letter" in html


def test_test_copy_arrives(
    app: Any, client: FlaskClient, login_as: Any, make_candidate: Any, smtp_server: Any
) -> None:
    port, sink = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5)
    user = login_as("coordinator", email="olena@office.example")
    m = make_candidate("Olaine", "LV", "lv", contact={"email": "dome@olaine.example"})
    response = client.post(
        "/letters/preview/test", data={"letter": "proposal", "candidate": m.id, "language": ""}
    )
    assert response.status_code == 302
    assert len(sink.messages) == 1
    envelope = sink.messages[0]
    assert envelope.rcpt_tos == [user.email]
    message = email.message_from_bytes(envelope.content)
    assert message["X-Outreach-Test"] == "1"
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject.startswith("[TEST] ")
    kinds = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= kinds
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A test copy was sent to olena@office.example" in page


def test_test_copy_error_is_shown(
    app: Any, client: FlaskClient, login_as: Any, make_candidate: Any
) -> None:
    login_as("coordinator")
    m = make_candidate("Olaine", "LV", "lv")
    response = client.post(
        "/letters/preview/test",
        data={"letter": "proposal", "candidate": m.id},
        follow_redirects=True,
    )
    assert "did not accept the test copy" in response.get_data(as_text=True)


def test_viewer_cannot_send_and_coordinator_cannot_edit(
    client: FlaskClient, login_as: Any, make_candidate: Any
) -> None:
    login_as("viewer")
    m = make_candidate("Olaine", "LV", "lv")
    assert (
        client.post(
            "/letters/preview/test", data={"letter": "proposal", "candidate": m.id}
        ).status_code
        == 403
    )
    login_as("coordinator")
    assert client.get("/letters/templates").status_code == 403
    assert client.get("/letters/templates/proposal/pl").status_code == 403
    assert client.post("/letters/templates/proposal/pl", data={"source": GOOD}).status_code == 403
    assert client.get("/letters/settings").status_code == 403


def test_editor_lists_saves_and_restores(client: FlaskClient, login_as: Any, settings: Any) -> None:
    login_as("admin")
    listing = client.get("/letters/templates").get_data(as_text=True)
    assert "Latvian (lv)" in listing and "follow_up" in listing
    page = client.get("/letters/templates/proposal/pl").get_data(as_text=True)
    assert "Subject: Propozycja" in page
    for name in ("candidate.country_name", "contact.salutation", "paragraphs.partners", "date"):
        assert name in page
    assert "the municipalities we have signed agreements with" in page

    bad = client.post(
        "/letters/templates/proposal/pl",
        data={"source": GOOD.replace("{{ us.signatory_name }}", "{{ us.signatory }}\n{% endif %}")},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "Not saved" in text and "syntax error on line 5" in text

    typo = client.post(
        "/letters/templates/proposal/pl",
        data={"source": GOOD.replace("candidate.name", "candidate.nmae")},
    )
    assert "unknown placeholder `candidate.nmae` on line 1: did you mean `candidate.name`?" in (
        typo.get_data(as_text=True).replace("&#96;", "`")
    )
    assert db.session.scalar(select(func.count(LetterTemplate.id))) == 0

    ok = client.post("/letters/templates/proposal/pl", data={"source": GOOD, "note": "short"})
    assert ok.status_code == 302
    client.post("/letters/templates/proposal/pl", data={"source": GOOD.replace("for", "to")})
    first = db.session.scalar(select(LetterTemplate).where(LetterTemplate.version == 1))
    restored = client.post(f"/letters/templates/proposal/pl/restore/{first.id}")
    assert restored.status_code == 302
    newest = db.session.scalar(select(func.max(LetterTemplate.version)))
    assert newest == 3
    listing = client.get("/letters/templates").get_data(as_text=True)
    assert "custom" in listing
    assert client.get("/letters/templates/..%2F..%2Fetc/pl").status_code == 404
    assert client.get("/letters/templates/proposal/zz").status_code == 404


def test_settings_page_field_errors(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    page = client.get("/letters/settings").get_data(as_text=True)
    assert "Менська міська рада" in page and "Rada Miejska w Menie" in page
    data = {
        "country": "XX",
        "population": "forty",
        "website": "https://mena-rada.example",
        "signatory_name": "Oksana",
        "signatory_gender": "f",
        "signatory_role": "mayor",
        "sender_email": "not an address",
        "sender_phone": "",
        "themes": ["education", "agriculture"],
        "fallback_language": "en",
        "never_languages": "ru be",
        "names-pl-council": "Рада",
    }
    html = client.post("/letters/settings", data=data).get_data(as_text=True)
    assert "unknown country code" in html and "is not a whole number" in html
    assert "write it in Ukrainian (Cyrillic)" in html and "is not a valid address" in html
    assert "not written in the script of pl letters" in html
    assert db.session.scalar(select(func.count(OfficeSettings.id))) == 0
    data.update(
        country="UA",
        population="40 000",
        signatory_name="Оксана Приклад",
        sender_email="a@mena.example",
    )
    data["names-pl-council"] = "Rada Miejska Meny"
    assert client.post("/letters/settings", data=data).status_code == 302
    row = db.session.scalar(select(OfficeSettings))
    assert (row.population, row.signatory_name, row.themes) == (
        40000,
        "Оксана Приклад",
        ["education", "agriculture"],
    )
    assert row.names == {"pl": {"council": "Rada Miejska Meny"}}
    page = client.get("/letters/settings").get_data(as_text=True)
    assert "Oksana Pryklad\nBurmistrz Meny\nRada Miejska Meny" in page


def test_the_editor_previews_an_unsaved_text_live(
    client: FlaskClient, login_as: Any, make_candidate: Any
) -> None:
    login_as("admin")
    m = make_candidate("Olaine", "LV", "lv", contact={"email": "dome@olaine.example"})
    url = "/letters/templates/proposal/lv/preview"
    text = "Subject: Sveiki, {{ candidate.name }}\n\n{{ contact.salutation }}!\n\n*Paldies*."
    answer = client.post(url, data={"source": text, "candidate": str(m.id)}).get_json()
    assert answer["errors"] == [] and answer["subject"] == "Sveiki, Olaine"
    assert "Godātās dāmas un godātie kungi!" in answer["text"] and "Paldies." in answer["text"]
    assert "<em>Paldies</em>" in answer["html"]
    wrong = client.post(
        url, data={"source": text.replace("candidate.name", "candidate.nmae"), "candidate": m.id}
    ).get_json()
    assert wrong["errors"] == [
        "unknown placeholder `candidate.nmae` on line 1: did you mean `candidate.name`?"
    ]
    assert db.session.scalar(select(func.count(LetterTemplate.id))) == 0
