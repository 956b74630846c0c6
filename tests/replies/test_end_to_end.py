"""The whole loop against real servers: a letter through the queue and SMTP, the council's
answer in the IMAP mailbox, the candidate moved on; a follow-up that goes out once."""

from datetime import timedelta

from sqlalchemy import select

from outreach.clock import travel
from outreach.extensions import db
from outreach.mailing.models import Letter
from outreach.pipeline.models import Municipality
from outreach.replies import jobs
from tests.mailing.conftest import work
from tests.replies import messages
from tests.replies.helpers import send_proposals


def test_letter_then_reply_in_the_mailbox_then_negotiating(app, towns, smtp_sink, imap_folder):
    answered, silent = send_proposals(app, towns, 2)
    (arrived,) = smtp_sink.to(db.session.get(Municipality, answered).primary_contact.email)
    message_id = arrived.message["Message-ID"]
    imap_folder.append(
        messages.reply(
            sender="sekretariat@gmina.example",
            subject=f"Re: {arrived.message['Subject']}",
            in_reply_to=message_id,
            references=[message_id],
        ),
        messages.reply(subject="Out of office", in_reply_to=message_id),
    )

    result = jobs.run_fetch()

    assert [(o.reply.kind, o.reply.matched_by) for o in result.outcomes] == [
        ("reply", "in_reply_to"),
        ("auto_reply", "in_reply_to"),
    ]
    db.session.expire_all()
    assert db.session.get(Municipality, answered).stage == "negotiating"
    assert db.session.get(Municipality, silent).stage == "letter_sent"

    with travel(timedelta(days=15)):
        sent = jobs.send_followups(user_id=None)
        assert sent.letters == 1
        work(app)
        again = jobs.send_followups(user_id=None)
        work(app)
    assert again.batch_id is None
    follow_up = db.session.scalar(select(Letter).where(Letter.letter == "follow_up"))
    assert follow_up.municipality_id == silent and follow_up.status == "sent"
    assert len(smtp_sink.to(follow_up.to_address)) == 2  # the proposal and one follow-up
