import io
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from outreach.catcher.models import CaughtMessage
from outreach.clock import travel
from outreach.extensions import db
from outreach.mailing.models import Letter
from outreach.pipeline.models import Municipality
from outreach.replies import followups, services
from outreach.replies.models import Reply
from tests.replies import messages
from tests.replies.helpers import sent_proposal


def switch_to(login_as, role: str):
    """Log in as another user: the test's app context would otherwise keep the first one."""
    g.pop("_login_user", None)
    return login_as(role)


def stage(town_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Municipality, town_id).stage


def test_the_inbox_lists_replies_and_unmatched_ones_are_assigned(app, client, login_as, towns):
    town_id, letter = sent_proposal(towns)
    services.receive(db.session, messages.reply(in_reply_to=letter.message_id, subject="Yes!"))
    stray = services.receive(db.session, messages.reply(sender="x@gmail.com", subject="Who?"))
    db.session.commit()

    login_as("viewer")
    page = client.get("/replies").get_data(as_text=True)
    assert "Yes!" in page and "Who?" in page and "Unmatched (1)" in page
    unmatched = client.get("/replies?unmatched=1").get_data(as_text=True)
    assert "Who?" in unmatched and "Yes!" not in unmatched
    assert (
        client.post(f"/replies/{stray.reply.id}/assign", data={"candidate": town_id}).status_code
        == 403
    )

    switch_to(login_as, "coordinator")
    response = client.post(f"/replies/{stray.reply.id}/assign", data={"candidate": 999999})
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    response = client.post(
        f"/replies/{stray.reply.id}/assign", data={"candidate": town_id}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Reply assigned" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Reply, stray.reply.id).matched_by == "assigned"


def test_the_inbox_lists_candidates_needing_a_new_address(app, client, login_as, towns):
    town_id, letter = sent_proposal(towns)
    services.receive(db.session, messages.bounce(letter.message_id, letter.to_address))
    db.session.commit()
    login_as("viewer")
    page = client.get("/replies").get_data(as_text=True)
    assert "Candidates needing a new address" in page
    assert db.session.get(Municipality, town_id).name in page and letter.to_address in page


def test_a_reply_by_phone_is_logged_by_hand(app, client, login_as, towns):
    town_id, letter = sent_proposal(towns)
    login_as("coordinator")
    page = client.get(f"/replies/new?candidate={town_id}")
    assert page.status_code == 200 and "A reply by post, phone or in a meeting" in page.get_data(
        as_text=True
    )
    bad = client.post(
        f"/replies/new?candidate={town_id}",
        data={"received_on": "2026-05-06", "channel": "phone", "note": ""},
    )
    assert bad.status_code == 400 and "This field is required." in bad.get_data(as_text=True)
    done = client.post(
        f"/replies/new?candidate={town_id}",
        data={"received_on": "2026-05-06", "channel": "phone", "note": "The mayor called."},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "The mayor called." in done.get_data(as_text=True)
    assert stage(town_id) == "negotiating"
    reply = db.session.scalar(select(Reply))
    assert (reply.kind, reply.channel, reply.received_at.date().isoformat()) == (
        "manual",
        "phone",
        "2026-05-06",
    )


def test_a_saved_message_uploaded_on_the_candidate_page(app, client, login_as, towns):
    town_id, _ = sent_proposal(towns)
    login_as("coordinator")
    raw = messages.reply(sender="assistant@gmail.com", subject="Forwarded answer")
    response = client.post(
        f"/candidates/{town_id}/replies/upload",
        data={"message": (io.BytesIO(raw), "answer.eml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Forwarded answer" in response.get_data(as_text=True)
    reply = db.session.scalar(select(Reply))
    assert reply.municipality_id == town_id and reply.matched_by == "assigned"
    assert stage(town_id) == "negotiating"

    broken = client.post(
        f"/candidates/{town_id}/replies/upload",
        data={"message": (io.BytesIO(b"\r\n"), "empty.eml")},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 400
    assert "empty.eml: the message is empty" in broken.get_data(as_text=True)


def test_a_reply_written_to_a_caught_letter_closes_the_loop(app, client, login_as, towns):
    from outreach.mailing.sending import letter_message

    town_id, letter = sent_proposal(towns)
    raw = letter_message(
        letter, sender="Office <office@mena-rada.example>", reply_to="partners@mena-rada.example"
    )
    caught = CaughtMessage(
        mail_from="office@mena-rada.example",
        rcpt_to=letter.to_address,
        subject=letter.subject,
        message_id=letter.message_id,
        raw=raw,
        size=len(raw),
    )
    db.session.add(caught)
    db.session.commit()

    login_as("coordinator")
    form = client.get(f"/replies/from-catcher/{caught.id}").get_data(as_text=True)
    assert letter.to_address in form and f"Re: {letter.subject}" in form
    response = client.post(
        f"/replies/from-catcher/{caught.id}",
        data={
            "sender": letter.to_address,
            "subject": f"Re: {letter.subject}",
            "text": "We accept with pleasure.",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "candidate moved to negotiating" in response.get_data(as_text=True)
    reply = db.session.scalar(select(Reply))
    assert (reply.source, reply.matched_by, reply.letter_id) == (
        "catcher",
        "in_reply_to",
        letter.id,
    )
    assert stage(town_id) == "negotiating"
    assert db.session.get(Letter, letter.id).status == "replied"


def test_follow_up_settings_are_for_admins(app, client, login_as, towns):
    town_id, _ = sent_proposal(towns)
    login_as("coordinator")
    assert client.get("/followups").status_code == 200
    assert client.post("/followups/settings/proposal", data={}).status_code == 403

    switch_to(login_as, "admin")
    bad = client.post(
        "/followups/settings/proposal",
        data={"proposal-days": "0", "proposal-max_per_candidate": "1"},
    )
    assert bad.status_code == 400
    assert "Number must be between 1 and 365." in bad.get_data(as_text=True)
    ok = client.post(
        "/followups/settings/proposal",
        data={"proposal-days": "5", "proposal-max_per_candidate": "1", "proposal-automatic": "y"},
    )
    assert ok.status_code == 302
    saved = followups.settings_for(db.session, "proposal")
    assert (saved.days, saved.max_per_candidate, saved.automatic) == (5, 1, True)
    with travel(timedelta(days=6)):
        page = client.get("/followups").get_data(as_text=True)
        assert db.session.get(Municipality, town_id).name in page
        sent = client.post("/followups/send")
        assert sent.status_code == 302 and "/batches/" in sent.headers["Location"]


@pytest.mark.csrf
def test_state_changes_need_the_csrf_token(app, client, login_as, towns):
    town_id, _ = sent_proposal(towns)
    login_as("coordinator")
    response = client.post(
        f"/replies/new?candidate={town_id}",
        data={"received_on": "2026-05-06", "channel": "phone", "note": "x"},
    )
    assert response.status_code == 400
    assert db.session.scalar(select(Reply)) is None


def test_the_reply_appears_on_the_candidate_page(app, client, login_as, towns):
    town_id, letter = sent_proposal(towns)
    services.receive(
        db.session,
        messages.reply(
            in_reply_to=letter.message_id,
            subject="Re: Partnership",
            text="We agree to meet in June.",
            attachment=("agenda.pdf", b"%PDF"),
        ),
    )
    db.session.commit()
    login_as("viewer")
    page = client.get(f"/candidates/{town_id}").get_data(as_text=True)
    assert "Reply from wojt@dabrowa.example: Re: Partnership" in page
    assert "We agree to meet in June." in page and "agenda.pdf" in page
