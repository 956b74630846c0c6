import json

from sqlalchemy import select

from outreach.extensions import db
from outreach.mailing.models import Letter
from outreach.pipeline.models import Municipality, StageChange
from outreach.pipeline.timeline import timeline
from outreach.replies import services
from outreach.replies.models import Reply
from tests.replies import messages
from tests.replies.helpers import sent_letter, sent_proposal


def stage(town_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Municipality, town_id).stage


def status(letter_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Letter, letter_id).status


def test_a_reply_by_references_only(app, towns):
    town_id, letter = sent_proposal(towns)
    raw = messages.reply(
        sender="secretary@elsewhere.example",
        references=["<unrelated@x.example>", letter.message_id],
        attachment=("programme.pdf", b"%PDF-1.4 ..."),
    )
    outcome = services.receive(db.session, raw)
    db.session.commit()
    assert outcome.reply.matched_by == "references"
    assert stage(town_id) == "negotiating" and status(letter.id) == "replied"
    change = db.session.scalar(select(StageChange).where(StageChange.to_stage == "negotiating"))
    assert change.note == "reply received" and change.from_stage == "letter_sent"
    with app.test_request_context():
        events = [e for e in timeline(db.session, town_id) if e.kind == "reply"]
    assert len(events) == 1
    assert "secretary@elsewhere.example" in events[0].title
    assert "Thank you, we would be glad to talk." in events[0].body
    assert "programme.pdf" in events[0].body


def test_a_reply_by_address_only_and_its_letter(app, towns):
    town_id, letter = sent_proposal(towns)
    contact = db.session.get(Municipality, town_id).primary_contact
    raw = messages.reply(sender=contact.email.upper(), subject="Partnership")
    outcome = services.receive(db.session, raw)
    db.session.commit()
    assert outcome.reply.matched_by == "address"
    assert outcome.reply.contact_id == contact.id and outcome.reply.letter_id == letter.id
    assert stage(town_id) == "negotiating" and status(letter.id) == "replied"


def test_a_reply_by_domain_of_the_website(app, towns):
    (town_id,) = towns(1, website="https://www.dabrowa.example/")
    letter = sent_letter(town_id)
    outcome = services.receive(db.session, messages.reply(sender="mayor@dabrowa.example"))
    db.session.commit()
    assert outcome.reply.matched_by == "domain"
    assert stage(town_id) == "negotiating" and status(letter.id) == "replied"


def test_an_unmatched_reply_waits_then_assigned_moves_the_candidate(app, towns, runner):
    town_id, letter = sent_proposal(towns)
    outcome = services.receive(db.session, messages.reply(sender="anna@gmail.com"))
    db.session.commit()
    assert outcome.reply.municipality_id is None and stage(town_id) == "letter_sent"

    listed = json.loads(runner.invoke(args=["replies", "list", "--json", "--unmatched"]).output)
    assert [r["sender"] for r in listed] == ["anna@gmail.com"]

    done = services.assign(db.session, outcome.reply.id, town_id, user_id=None)
    db.session.commit()
    assert done.reply.matched_by == "assigned"
    assert stage(town_id) == "negotiating" and status(letter.id) == "replied"
    assert json.loads(runner.invoke(args=["replies", "list", "--json", "--unmatched"]).output) == []


def test_out_of_office_in_polish_and_german_changes_nothing(app, towns):
    town_id, letter = sent_proposal(towns)
    follow_up = sent_letter(town_id, "follow_up")
    polish = messages.reply(
        in_reply_to=follow_up.message_id,
        subject="Odpowiedź automatyczna: Propozycja współpracy",
        text="Jestem poza biurem do 12 maja.",
    )
    german = messages.reply(
        in_reply_to=letter.message_id,
        subject="Abwesenheitsnotiz: Kooperationsangebot",
        text="Ich bin bis zum 12. Mai nicht im Büro.",
    )
    headers_only = messages.reply(
        in_reply_to=letter.message_id,
        subject="Re: Proposal",
        headers={"Auto-Submitted": "auto-replied"},
    )
    for raw in (polish, german, headers_only):
        outcome = services.receive(db.session, raw)
        assert outcome.reply.kind == "auto_reply" and outcome.reply.municipality_id == town_id
    db.session.commit()
    assert stage(town_id) == "letter_sent"
    assert status(letter.id) == "sent" and status(follow_up.id) == "sent"
    assert db.session.scalars(select(Reply.kind)).all() == ["auto_reply"] * 3


def test_a_bounce_marks_the_letter_and_flags_the_address(app, towns, tmp_path, runner):
    town_id, letter = sent_proposal(towns)
    path = tmp_path / "bounce.eml"
    path.write_bytes(messages.bounce(letter.message_id, letter.to_address))

    result = runner.invoke(args=["replies", "import", str(path), "--json"])

    assert result.exit_code == 0, result.output
    done = json.loads(result.output)
    assert done["reply"]["kind"] == "bounce" and done["reply"]["municipality_id"] == town_id
    assert f"letter {letter.id} bounced" in done["effects"]
    assert status(letter.id) == "bounced" and stage(town_id) == "letter_sent"
    assert services.needs_new_address(db.session, town_id)
    with app.test_request_context():
        titles = [e.title for e in timeline(db.session, town_id) if e.kind == "reply"]
    assert titles == [f"Undelivered to {letter.to_address}: needs a new address"]
    # Staff fix the address: the flag clears.
    db.session.get(Municipality, town_id).primary_contact.email = "new@town.example"
    db.session.commit()
    assert not services.needs_new_address(db.session, town_id)


def test_a_bounce_with_only_the_returned_headers(app, towns):
    town_id, letter = sent_proposal(towns)
    raw = messages.bounce(letter.message_id, letter.to_address, headers_only=True)
    outcome = services.receive(db.session, raw)
    db.session.commit()
    assert outcome.reply.letter_id == letter.id and status(letter.id) == "bounced"


def test_import_prints_the_match_and_a_second_import_is_a_duplicate(app, towns, tmp_path, runner):
    town_id, letter = sent_proposal(towns)
    path = tmp_path / "reply.eml"
    path.write_bytes(messages.reply(in_reply_to=letter.message_id))
    first = runner.invoke(args=["replies", "import", str(path)])
    assert first.exit_code == 0, first.output
    assert "by in_reply_to" in first.output and "candidate moved to negotiating" in first.output
    second = runner.invoke(args=["replies", "import", str(path), "--json"])
    assert json.loads(second.output)["duplicate"] is True
    assert len(db.session.scalars(select(Reply)).all()) == 1


def test_import_of_a_broken_file_names_it(app, tmp_path, runner):
    path = tmp_path / "broken.eml"
    path.write_bytes(b"\r\n\r\n")
    result = runner.invoke(args=["replies", "import", str(path)])
    assert result.exit_code == 1
    assert "broken.eml: the message is empty" in result.output


def test_a_reply_to_a_letter_logged_by_hand(app, towns):
    from datetime import datetime

    town_id, letter = sent_proposal(towns)
    outcome = services.log_manual(
        db.session,
        town_id,
        received_at=datetime(2026, 5, 6, 9, 0),
        channel="phone",
        note="The mayor called: interested.",
        user_id=None,
    )
    db.session.commit()
    assert outcome.reply.kind == "manual" and outcome.reply.message_id.startswith("<manual-")
    assert stage(town_id) == "negotiating" and status(letter.id) == "replied"


def test_a_bounce_from_an_exim_server_marks_the_letter(app, towns):
    _, letter = sent_proposal(towns)
    raw = messages.plain_bounce(messages.EXIM_BOUNCE, letter.to_address, letter.message_id)
    outcome = services.receive(db.session, raw)
    db.session.commit()
    assert outcome.reply.kind == "bounce" and outcome.reply.letter_id == letter.id
    assert db.session.get(Letter, letter.id).status == "bounced"
    assert services.needs_new_address(db.session, letter.municipality_id)


def test_the_timeline_shows_what_the_mayor_wrote_and_the_page_keeps_the_rest(
    app, towns, client, login_as
):
    town_id, letter = sent_proposal(towns)
    text = "We agree.\n\nOn Mon, 4 May 2026, Office <o@mena.example> wrote:\n> Dear Mayor,\n"
    outcome = services.receive(db.session, messages.reply(in_reply_to=letter.message_id, text=text))
    db.session.commit()
    assert outcome.reply.reply_text == "We agree."
    login_as("viewer")
    candidate = client.get(f"/candidates/{town_id}").get_data(as_text=True)
    assert "We agree." in candidate and "Dear Mayor" not in candidate
    page = client.get(f"/replies/{outcome.reply.id}").get_data(as_text=True)
    assert "with the quoted letter" in page and "&gt; Dear Mayor," in page
