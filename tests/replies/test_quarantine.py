"""Incoming mail that nothing can stop: NUL characters, MIME bombs, oversized messages and
messages the database refuses are stored cleaned or quarantined, and intake goes on."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

from outreach.extensions import db
from outreach.pipeline.models import Municipality
from outreach.replies import jobs, parse, quarantine, services
from outreach.replies.models import MailboxState, QuarantinedMessage, Reply
from tests.replies import messages
from tests.replies.helpers import sent_proposal

NUL_SUBJECT = b"Subject: =?utf-8?Q?Re:_x=00?=\r\n"


def nul_message(in_reply_to: str = "", sender: str = "wojt@dabrowa.example") -> bytes:
    """A reply whose Subject and From name decode to a NUL character, and whose body has one."""
    headers = (
        f"From: =?utf-8?Q?W=C3=B3jt=00?= <{sender}>\r\n"
        "To: office@outreach-test.example\r\n"
        "Message-ID: <nul-1@dabrowa.example>\r\n"
        "Date: Mon, 04 May 2026 10:30:00 +0000\r\n"
        + (f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else "")
        + "Content-Type: text/plain; charset=utf-8\r\n"
    ).encode()
    return headers + NUL_SUBJECT + b"\r\nWe agree.\x00 See you in June.\r\n"


def bomb(parts: int) -> bytes:
    """A multipart message with ``parts`` empty text parts."""
    body = b"".join(b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(parts))
    return (
        b"From: a@b.example\r\nSubject: many parts\r\nMessage-ID: <bomb@b.example>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
        + body
        + b"--B--\r\n"
    )


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id))) or 0


def test_nul_characters_are_removed_and_the_reply_is_stored(app, towns):
    town_id, letter = sent_proposal(towns)
    outcome = services.receive(db.session, nul_message(letter.message_id))
    db.session.commit()
    reply = db.session.get(Reply, outcome.reply.id)
    assert (reply.subject, reply.sender_name) == ("Re: x", "Wójt")
    assert reply.text == "We agree. See you in June."
    assert db.session.get(Municipality, town_id).stage == "negotiating"


def test_a_nul_message_in_the_mailbox_does_not_stop_later_replies(app, towns, imap_folder):
    _, letter = sent_proposal(towns)
    imap_folder.append(nul_message(letter.message_id))
    first = jobs.run_fetch()
    assert [o.reply.subject for o in first.outcomes] == ["Re: x"]
    imap_folder.append(messages.reply(sender="late@town.example", subject="Later"))
    second = jobs.run_fetch()
    assert [o.reply.sender for o in second.outcomes] == ["late@town.example"]
    assert db.session.scalar(select(MailboxState)).last_uid == 2
    assert count(QuarantinedMessage) == 0


def test_a_nul_message_through_import_and_upload(app, towns, runner, client, login_as, tmp_path):
    town_id, letter = sent_proposal(towns)
    path = tmp_path / "nul.eml"
    path.write_bytes(nul_message(letter.message_id))
    result = runner.invoke(args=["replies", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "candidate moved to negotiating" in result.output

    login_as("coordinator")
    raw = nul_message(sender="assistant@gmail.com").replace(b"nul-1@", b"nul-2@")
    response = client.post(
        f"/candidates/{town_id}/replies/upload",
        data={"message": (io.BytesIO(raw), "nul.eml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert count(Reply) == 2


def test_a_message_the_database_refuses_is_quarantined_and_the_rest_recorded(
    app, towns, imap_folder, monkeypatch, caplog
):
    """A storage failure of one message (here a refusal forced after its row was written)
    rolls back that message alone: the others and the mailbox position are committed."""
    _, letter = sent_proposal(towns)
    real = services.receive_parsed

    def refuse_one(session, parsed, raw, *, source):
        outcome = real(session, parsed, raw, source=source)
        if parsed.subject == "Refused":
            raise DataError("INSERT INTO reply ...", {}, ValueError("value refused"))
        return outcome

    monkeypatch.setattr(services, "receive_parsed", refuse_one)
    imap_folder.append(
        messages.reply(sender="one@town.example", subject="One"),
        messages.reply(sender="two@town.example", subject="Refused"),
        messages.reply(in_reply_to=letter.message_id, subject="Three"),
    )
    logging.getLogger("outreach.replies.quarantine").disabled = False
    with caplog.at_level(logging.WARNING, logger="outreach.replies"):
        result = jobs.run_fetch()
    assert [o.reply.subject for o in result.outcomes] == ["One", "Three"]
    assert result.skipped == [(2, "cannot be stored: ValueError: value refused")]
    assert "quarantined message UID 2" in caplog.text
    db.session.remove()
    assert sorted(db.session.scalars(select(Reply.subject))) == ["One", "Three"]
    item = db.session.scalar(select(QuarantinedMessage))
    assert (item.uid, item.subject, item.sender) == (2, "Refused", "Wójt <two@town.example>")
    assert db.session.scalar(select(MailboxState)).last_uid == 3

    # Fixed: retrying records it and empties the quarantine.
    monkeypatch.setattr(services, "receive_parsed", real)
    outcome = quarantine.retry(db.session, item.id)
    db.session.commit()
    assert outcome.reply.subject == "Refused" and count(QuarantinedMessage) == 0


def test_a_mime_bomb_is_quarantined_without_reading_it(app, towns, imap_folder):
    with pytest.raises(parse.ParseError, match="more than 500 parts"):
        parse.parse(bomb(100_000))
    assert parse.parse(bomb(100)).sender == "a@b.example"
    imap_folder.append(bomb(100_000), messages.reply(sender="after@town.example"))
    result = jobs.run_fetch()
    assert result.skipped == [(1, "the message has more than 500 parts")]
    assert [o.reply.sender for o in result.outcomes] == ["after@town.example"]
    item = db.session.scalar(select(QuarantinedMessage))
    assert item.complete and item.raw == bomb(100_000).replace(b"\r\n", b"\r\n")[: len(item.raw)]
    assert item.subject == "many parts"


def test_a_message_too_large_is_kept_as_its_header(app, imap_folder, monkeypatch):
    monkeypatch.setattr(parse, "MAX_MESSAGE_BYTES", 5_000)
    imap_folder.append(
        messages.reply(sender="big@town.example", subject="Big", text="x" * 10_000),
        messages.reply(sender="small@town.example", subject="Small"),
    )
    result = jobs.run_fetch()
    assert [o.reply.subject for o in result.outcomes] == ["Small"]
    ((uid, reason),) = result.skipped
    assert uid == 1 and "more than the 5,000 read" in reason
    item = db.session.scalar(select(QuarantinedMessage))
    assert not item.complete and item.subject == "Big" and b"Subject: Big" in item.raw
    assert b"xxxxxxxx" not in item.raw and item.size > 10_000
    with pytest.raises(quarantine.QuarantineError, match="too large to keep whole"):
        quarantine.retry(db.session, item.id)


def test_the_quarantine_page_lists_downloads_retries_and_discards(
    app, client, login_as, towns, imap_folder, monkeypatch
):
    real = services.receive_parsed

    def refuse(session, parsed, raw, *, source):
        raise DataError("INSERT INTO reply ...", {}, ValueError("value refused"))

    monkeypatch.setattr(services, "receive_parsed", refuse)
    imap_folder.append(messages.reply(sender="a@b.example", subject="nobody"))
    imap_folder.append(b"garbage without headers\r\n")
    jobs.run_fetch()
    monkeypatch.setattr(services, "receive_parsed", real)
    first, second = sorted(db.session.scalars(select(QuarantinedMessage)), key=lambda i: i.uid)

    login_as("viewer")
    assert client.get("/replies/quarantine").status_code == 403
    login_as("coordinator")
    inbox = client.get("/replies").get_data(as_text=True)
    assert "Quarantine (2)" in inbox
    page = client.get("/replies/quarantine").get_data(as_text=True)
    assert "no headers" in page and "nobody" in page and "value refused" in page
    raw = client.get(f"/replies/quarantine/{second.id}.eml")
    assert raw.status_code == 200 and raw.data == b"garbage without headers\r\n"
    assert raw.headers["Content-Type"] == "message/rfc822"
    assert "attachment" in raw.headers["Content-Disposition"]

    still = client.post(f"/replies/quarantine/{second.id}/retry", follow_redirects=True)
    assert "Still quarantined: no headers" in still.get_data(as_text=True)
    done = client.post(f"/replies/quarantine/{first.id}/retry", follow_redirects=True)
    assert "The reply matches no candidate" in done.get_data(as_text=True)
    gone = client.post(f"/replies/quarantine/{second.id}/discard", follow_redirects=True)
    assert "was discarded" in gone.get_data(as_text=True)
    assert count(QuarantinedMessage) == 0 and count(Reply) == 1


def test_the_quarantine_on_the_command_line(app, imap_folder, runner, tmp_path):
    imap_folder.append(b"garbage without headers\r\n")
    fetched = runner.invoke(args=["replies", "fetch"])
    assert "quarantined message UID 1: no headers" in fetched.output
    assert "0 new, 0 already recorded, 1 quarantined" in fetched.output
    listed = runner.invoke(args=["replies", "quarantine", "list"])
    assert "no headers" in listed.output and "1 quarantined" in listed.output
    item_id = db.session.scalar(select(QuarantinedMessage.id))
    saved = tmp_path / "q.eml"
    runner.invoke(args=["replies", "quarantine", "save", str(item_id), str(saved)])
    assert saved.read_bytes() == b"garbage without headers\r\n"
    retried = runner.invoke(args=["replies", "quarantine", "retry", str(item_id)])
    assert retried.exit_code == 1 and "no headers" in retried.output
    discarded = runner.invoke(args=["replies", "quarantine", "discard", str(item_id)])
    assert discarded.exit_code == 0 and count(QuarantinedMessage) == 0


def test_the_same_message_is_quarantined_once(app, imap_folder):
    imap_folder.append(b"garbage without headers\r\n")
    jobs.run_fetch()
    imap_folder.recreate()
    imap_folder.append(b"garbage without headers\r\n")
    assert jobs.run_fetch().skipped == [(1, "no headers")]
    assert count(QuarantinedMessage) == 1


def test_a_cyrillic_folder_is_read(app, towns, cyrillic_folder):
    _, letter = sent_proposal(towns)
    cyrillic_folder.append(messages.reply(in_reply_to=letter.message_id))
    assert cyrillic_folder.name.startswith("Відповіді-")
    result = jobs.run_fetch()
    assert [o.reply.matched_by for o in result.outcomes] == ["in_reply_to"]
    state = db.session.scalar(select(MailboxState))
    assert state.mailbox.endswith("/" + cyrillic_folder.name) and state.last_uid == 1


def test_messages_are_fetched_in_batches_and_stay_unread(app, imap_folder, caplog):
    imap_folder.append(
        *[messages.reply(sender=f"s{i}@town{i}.example", subject=f"n{i}") for i in range(45)]
    )
    logging.getLogger("imapclient.imaplib").disabled = False
    with caplog.at_level(logging.DEBUG, logger="imapclient.imaplib"):
        result = jobs.run_fetch()
    assert len(result.outcomes) == 45
    fetches = [r.getMessage() for r in caplog.records if "UID FETCH" in r.getMessage()]
    bodies = [line for line in fetches if "BODY.PEEK[]" in line and "> " in line]
    assert 3 <= len(bodies) <= 4, fetches  # 20 + 20 + 5, not 45 commands
    assert all(b"\\Seen" not in flags for flags in imap_folder.flags().values())
