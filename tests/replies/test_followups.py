import json
from datetime import timedelta

from sqlalchemy import select

from outreach.clock import travel, utcnow
from outreach.extensions import db
from outreach.mailing import outbox
from outreach.mailing.models import Letter
from outreach.pipeline.models import Municipality
from outreach.replies import followups, jobs, services
from tests.replies import messages
from tests.replies.helpers import sent_proposal


def followup_letters(town_id: int) -> list[Letter]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Letter)
            .where(
                Letter.municipality_id == town_id,
                Letter.letter.in_(["follow_up", "second_follow_up"]),
            )
            .order_by(Letter.id)
        )
    )


def deliver(letter: Letter) -> None:
    """The worker's outcome for a letter the server accepted (recorded by the outbox's rules)."""
    assert outbox.claim(db.session, letter.id)
    outbox.record_sent(
        db.session, letter.id, "250 ok", municipality_id=letter.municipality_id, user_id=None
    )
    db.session.commit()


def test_a_follow_up_is_due_after_n_days(app, towns, runner):
    town_id, letter = sent_proposal(towns)
    assert followups.due_followups(db.session, utcnow()) == []
    with travel(timedelta(days=13, hours=23)):
        assert json.loads(runner.invoke(args=["followups", "due", "--json"]).output) == []
    with travel(timedelta(days=14, minutes=1)):
        due = json.loads(runner.invoke(args=["followups", "due", "--json"]).output)
        assert [(d["candidate_id"], d["letter_id"], d["days_waiting"]) for d in due] == [
            (town_id, letter.id, 14)
        ]
        assert followups.waiting_too_long_ids(db.session, utcnow()) == {town_id}


def test_days_follow_the_settings(app, towns):
    town_id, _ = sent_proposal(towns)
    followups.save_settings(db.session, "proposal", days=7, max_per_candidate=1, automatic=False)
    db.session.commit()
    with travel(timedelta(days=8)):
        assert [d.municipality_id for d in followups.due_followups(db.session, utcnow())] == [
            town_id
        ]


def test_a_reply_that_arrives_first_cancels_the_follow_up(app, towns, runner):
    town_id, letter = sent_proposal(towns)
    with travel(timedelta(days=15)):
        result = runner.invoke(args=["followups", "send", "--yes"])
        assert result.exit_code == 0, result.output
        assert "1 follow-up(s) queued" in result.output
        (queued,) = followup_letters(town_id)
        assert queued.status == "queued"

        services.receive(db.session, messages.reply(in_reply_to=letter.message_id))
        db.session.commit()

        (cancelled,) = followup_letters(town_id)
        assert cancelled.status == "cancelled"
        assert db.session.get(Municipality, town_id).stage == "negotiating"
        assert followups.due_followups(db.session, utcnow()) == []
        # The worker finds nothing to claim.
        assert not outbox.claim(db.session, cancelled.id)


def test_an_out_of_office_does_not_cancel_the_follow_up(app, towns):
    town_id, letter = sent_proposal(towns)
    with travel(timedelta(days=15)):
        jobs.send_followups(user_id=None)
        services.receive(
            db.session,
            messages.reply(in_reply_to=letter.message_id, subject="Automatische Antwort: Re: x"),
        )
        db.session.commit()
        assert [x.status for x in followup_letters(town_id)] == ["queued"]


def test_a_follow_up_is_never_sent_twice_and_at_most_m(app, towns, runner):
    town_id, proposal = sent_proposal(towns)
    with travel(timedelta(days=15)):
        first = jobs.send_followups(user_id=None)
        assert first.letters == 1
        # Asked again while the first waits in the queue, or after it went out: nothing new.
        assert "no follow-ups due" in runner.invoke(args=["followups", "send", "--yes"]).output
        deliver(followup_letters(town_id)[0])
        assert jobs.send_followups(user_id=None).batch_id is None
    with travel(timedelta(days=30)):
        second = jobs.send_followups(user_id=None)
        assert second.letters == 1 and second.batch_id != first.batch_id
        deliver(followup_letters(town_id)[1])
    with travel(timedelta(days=60)):
        # The default maximum is two follow-ups per candidate.
        assert followups.due_followups(db.session, utcnow()) == []
        assert followups.waiting_too_long_ids(db.session, utcnow()) == {town_id}
    letters = followup_letters(town_id)
    keys = [x.idempotency_key for x in letters]
    assert keys == [f"follow_up:{town_id}:0", f"second_follow_up:{town_id}:0"]
    # Both belong to the first letter's thread, and the second is another text.
    assert [x.in_reply_to for x in letters] == [proposal.message_id] * 2
    assert all(x.subject == "Re: " + proposal.subject for x in letters)
    assert letters[0].text != letters[1].text


def test_automatic_follow_ups_go_out_with_the_periodic_job(app, towns):
    town_id, _ = sent_proposal(towns)
    with travel(timedelta(days=15)):
        assert jobs.tick_job() == {}
        assert followup_letters(town_id) == []
        followups.save_settings(
            db.session, "proposal", days=14, max_per_candidate=2, automatic=True
        )
        db.session.commit()
        assert jobs.tick_job() == {"followups": 1}
        assert [x.status for x in followup_letters(town_id)] == ["queued"]
