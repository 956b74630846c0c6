import json
from collections import Counter

import pytest
from sqlalchemy import delete, func, select

from outreach.extensions import db
from outreach.mailing import batches, queueing
from outreach.mailing.models import Batch, Letter
from outreach.pipeline.models import Municipality, StageChange
from outreach.pipeline.timeline import timeline
from tests.mailing.conftest import work


def confirm(letter="proposal", **filters):
    return queueing.confirm(db.session, letter, filters, resend=False, user_id=None)


def test_a_batch_of_200_arrives_once_each_in_the_right_language(app, towns, smtp_sink):
    polish = towns(120, "PL", "pl")
    latvian = towns(50, "LV", "lv")
    estonian = towns(30, "EE", "et")  # no Estonian template: English
    done = confirm()
    assert done.created and done.queued and done.letters == 200
    assert done.preview.per_language == {"pl": 120, "lv": 50, "en": 30}
    assert {r.municipality.id for r in done.preview.fallbacks} == set(estonian)

    work(app)

    letters = db.session.scalars(select(Letter)).all()
    assert Counter(x.status for x in letters) == {"sent": 200}
    arrived = Counter(m.message["Message-ID"] for m in smtp_sink.messages)
    assert arrived == Counter({x.message_id: 1 for x in letters})
    by_id = {x.message_id: x for x in letters}
    for captured in smtp_sink.messages:
        letter = by_id[captured.message["Message-ID"]]
        assert captured.rcpt_tos == [letter.to_address]
        assert captured.message["Content-Language"] == letter.language
        assert captured.message["Subject"] == letter.subject
        assert captured.message["Reply-To"] == "partners@mena-rada.example"
        assert "office@mena-rada.example" in captured.message["From"]
        kinds = [p.get_content_type() for p in captured.message.iter_parts()]
        assert kinds == ["text/plain", "text/html"]
    languages = {x.municipality_id: x.language for x in letters}
    assert {languages[i] for i in polish} == {"pl"}
    assert {languages[i] for i in latvian} == {"lv"}
    assert {languages[i] for i in estonian} == {"en"}
    polish_mail = smtp_sink.to(letters[0].to_address)[0].message
    assert "Współpraca z" in polish_mail["Subject"]


def test_the_candidate_moves_to_letter_sent_and_the_letter_joins_its_timeline(
    app, towns, smtp_sink
):
    (town_id,) = towns(1, "PL", "pl")
    confirm()
    work(app)
    town = db.session.get(Municipality, town_id)
    assert town.stage == "letter_sent"
    letter = db.session.scalar(select(Letter))
    change = db.session.scalars(
        select(StageChange).where(StageChange.municipality_id == town_id).order_by(StageChange.id)
    ).all()[-1]
    assert (change.from_stage, change.to_stage) == ("analysed", "letter_sent")
    assert change.note == f"letter {letter.id} sent"
    with app.test_request_context():
        events = [e for e in timeline(db.session, town_id) if e.kind == "letter"]
    assert len(events) == 1 and "Sent" in events[0].title


def test_preview_leaves_people_out_with_reasons(app, towns, smtp_sink):
    from outreach.pipeline.models import Contact

    ok = towns(2, "PL", "pl")
    (blocked,) = towns(1, "PL", "pl", do_not_contact=True)
    (later,) = towns(1, "PL", "pl", stage="negotiating")
    (nobody,) = towns(1, "PL", "pl")
    db.session.execute(delete(Contact).where(Contact.municipality_id == nobody))
    (twin,) = towns(1, "PL", "pl")
    db.session.scalar(
        select(Contact).where(Contact.municipality_id == twin)
    ).email = db.session.scalar(select(Contact).where(Contact.municipality_id == ok[0])).email
    db.session.commit()
    result = batches.preview(db.session, "proposal", {})
    assert [r.municipality.id for r in result.recipients] == ok
    assert {e.municipality_id: e.reason for e in result.excluded} == {
        blocked: "do_not_contact",
        later: "stage",
        nobody: "no_address",
        twin: "shared_address",
    }
    confirm()
    work(app)
    again = batches.preview(db.session, "proposal", {"ids": ok})
    assert again.recipients == [] and again.excluded_counts == {"stage": 2}
    follow = batches.preview(db.session, "follow_up", {"ids": ok})
    assert len(follow.recipients) == 2


def test_already_sent_is_left_out_unless_resent(app, towns, smtp_sink):
    ids = towns(2, "PL", "pl")
    confirm()
    work(app)
    db.session.query(Municipality).update({"stage": "analysed"})
    db.session.commit()
    assert batches.preview(db.session, "proposal", {}).excluded_counts == {"already_sent": 2}
    done = queueing.confirm(db.session, "proposal", {"ids": ids}, resend=True, user_id=None)
    work(app)
    keys = sorted(db.session.scalars(select(Letter.idempotency_key)))
    assert keys == sorted([f"proposal:{i}:{n}" for i in ids for n in (0, 1)])
    assert done.letters == 2 and len(smtp_sink.messages) == 4


def test_confirming_the_same_letters_again_creates_nothing(app, towns, smtp_sink):
    towns(5, "PL", "pl")
    first = confirm()
    assert first.created
    with pytest.raises(batches.BatchError, match="nothing to send"):
        confirm()
    towns(3, "LV", "lv")
    clicks = [
        queueing.confirm(
            db.session, "proposal", {"country": ["LV"]}, resend=False, user_id=None, token="t1"
        )
        for _ in range(2)
    ]
    assert clicks[0].created and not clicks[1].created
    assert clicks[0].batch.id == clicks[1].batch.id
    assert db.session.scalar(select(func.count(Letter.id))) == 8
    assert db.session.scalar(select(func.count(Batch.id))) == 2


def test_two_concurrent_confirms_make_one_set_of_letters(app, towns, smtp_sink):
    import threading

    towns(40, "PL", "pl")
    results, errors = [], []
    barrier = threading.Barrier(2)

    def press() -> None:
        with app.app_context():
            barrier.wait()
            try:
                results.append(
                    queueing.confirm(db.session, "proposal", {}, resend=False, user_id=None)
                )
            except batches.BatchError as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.rollback()
    assert db.session.scalar(select(func.count(Batch.id))) == 1
    assert db.session.scalar(select(func.count(Letter.id))) == 40
    assert len(results) + len(errors) == 2 and any(r.created for r in results)
    work(app)
    assert len(smtp_sink.messages) == 40


def test_cli_create_status_list(app, towns, smtp_sink, runner):
    ids = towns(3, "LV", "lv")
    result = runner.invoke(args=["batch", "create", "--letter", "proposal", "--country", "LV"])
    assert result.exit_code == 0, result.output
    assert "3 letters" in result.output and "--yes" in result.output
    assert db.session.scalar(select(func.count(Batch.id))) == 0
    result = runner.invoke(
        args=[
            "batch",
            "create",
            "--letter",
            "proposal",
            "--ids",
            ",".join(map(str, ids)),
            "--yes",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["letters"] == 3 and payload["excluded"] == {}
    work(app)
    result = runner.invoke(args=["batch", "status", str(payload["batch_id"]), "--json"])
    assert json.loads(result.output)["counts"]["sent"] == 3
    result = runner.invoke(args=["letters", "list", "--json", "--status", "sent"])
    items = json.loads(result.output)
    assert sorted(i["candidate_id"] for i in items) == ids
    assert {
        "id",
        "candidate_id",
        "to",
        "language",
        "status",
        "message_id",
        "attempts",
        "error",
    } <= set(items[0])


def test_cli_names_a_bad_filter(app, runner):
    result = runner.invoke(args=["batch", "create", "--letter", "nonsense"])
    assert result.exit_code != 0 and "unknown letter" in result.output
    result = runner.invoke(args=["batch", "create", "--letter", "proposal", "--ids", "1,x"])
    assert result.exit_code != 0 and "'x' is not a candidate id" in result.output
