import logging

from sqlalchemy import func, select

from outreach.extensions import db
from outreach.mailing.models import Letter
from outreach.pipeline.models import Municipality
from outreach.replies import jobs
from outreach.replies.imap import MailboxConfig
from outreach.replies.models import MailboxState, Reply
from tests.replies import messages
from tests.replies.helpers import sent_proposal


def replies_count() -> int:
    return db.session.scalar(select(func.count(Reply.id)))


def test_a_reply_in_the_mailbox_moves_the_candidate_to_negotiating(app, towns, imap_folder):
    town_id, letter = sent_proposal(towns)
    imap_folder.append(messages.reply(sender="someone@else.example", in_reply_to=letter.message_id))

    result = jobs.run_fetch()

    assert [o.reply.matched_by for o in result.outcomes] == ["in_reply_to"]
    db.session.expire_all()
    assert db.session.get(Municipality, town_id).stage == "negotiating"
    assert db.session.get(Letter, letter.id).status == "replied"


def test_the_same_reply_fetched_twice_and_a_restart_keep_the_place(app, towns, imap_folder):
    _, letter = sent_proposal(towns)
    first = messages.reply(in_reply_to=letter.message_id)
    imap_folder.append(first)
    assert len(jobs.run_fetch().outcomes) == 1
    # The same message delivered again (a second copy, new UID): stored once.
    imap_folder.append(first)
    again = jobs.run_fetch()
    assert [o.duplicate for o in again.outcomes] == [True]
    assert replies_count() == 1
    # A restart: new session, new connection, only the new message is read.
    db.session.remove()
    imap_folder.append(messages.reply(sender="other@town.example", subject="Hello"))
    after = jobs.run_fetch(MailboxConfig.from_config(app.config))
    assert [o.reply.sender for o in after.outcomes] == ["other@town.example"]
    assert jobs.run_fetch().outcomes == []
    assert replies_count() == 2
    state = db.session.scalar(select(MailboxState))
    assert state.last_uid == 3 and state.uidvalidity == imap_folder.uidvalidity()


def test_a_changed_uidvalidity_reads_the_folder_again_without_doubles(app, towns, imap_folder):
    _, letter = sent_proposal(towns)
    reply = messages.reply(in_reply_to=letter.message_id)
    imap_folder.append(reply)
    jobs.run_fetch()
    before = imap_folder.uidvalidity()
    imap_folder.recreate()
    imap_folder.append(reply, messages.reply(sender="new@town.example", subject="New"))
    assert imap_folder.uidvalidity() != before

    result = jobs.run_fetch()

    assert result.reset
    assert [o.duplicate for o in result.outcomes] == [True, False]
    assert replies_count() == 2
    state = db.session.scalar(select(MailboxState))
    assert state.uidvalidity == imap_folder.uidvalidity() and state.last_uid == 2


def test_a_malformed_message_is_quarantined_with_a_reason_and_the_rest_is_read(
    app, towns, imap_folder, caplog
):
    _, letter = sent_proposal(towns)
    imap_folder.append(
        b"this is not a mail message at all\r\n",
        messages.reply(in_reply_to=letter.message_id),
    )
    # Alembic's logging set-up (run by the migrations) disables loggers that already exist.
    logging.getLogger("outreach.replies.quarantine").disabled = False
    with caplog.at_level(logging.WARNING, logger="outreach.replies"):
        result = jobs.run_fetch()
    assert result.skipped == [(1, "no headers")]
    assert "quarantined message UID 1" in caplog.text
    assert len(result.outcomes) == 1 and replies_count() == 1
    assert db.session.scalar(select(MailboxState)).last_uid == 2


def test_fetch_on_the_command_line_prints_the_match(app, towns, imap_folder, runner):
    _, letter = sent_proposal(towns)
    imap_folder.append(messages.reply(in_reply_to=letter.message_id))
    result = runner.invoke(args=["replies", "fetch"])
    assert result.exit_code == 0, result.output
    assert "by in_reply_to" in result.output and "candidate moved to negotiating" in result.output
    assert "1 new, 0 already recorded, 0 quarantined" in result.output


def test_a_wrong_password_is_a_clear_error(app, imap_folder, runner):
    app.config["IMAP_PASSWORD"] = "wrong"
    result = runner.invoke(args=["replies", "fetch"])
    assert result.exit_code == 1
    assert "cannot read 127.0.0.1" in result.output


def test_starttls_and_plain_connections(app, towns, imap_folder, imap_server):
    _, letter = sent_proposal(towns)
    imap_folder.append(messages.reply(in_reply_to=letter.message_id))
    starttls = MailboxConfig.from_config(
        imap_folder.config(IMAP_PORT=imap_server.port, IMAP_STARTTLS=True)
    )
    assert [o.reply.matched_by for o in jobs.run_fetch(starttls).outcomes] == ["in_reply_to"]
    plain = MailboxConfig.from_config(
        imap_folder.config(IMAP_PORT=imap_server.port, IMAP_TLS=False)
    )
    assert jobs.run_fetch(plain).outcomes == []  # same folder, same place


def test_an_unknown_certificate_is_refused(app, imap_folder, runner):
    app.config["IMAP_CA_FILE"] = ""
    result = runner.invoke(args=["replies", "fetch"])
    assert result.exit_code == 1 and "CERTIFICATE_VERIFY_FAILED" in result.output


def test_fetch_without_a_mailbox_says_what_is_missing(app, runner):
    result = runner.invoke(args=["replies", "fetch"])
    assert result.exit_code == 1 and "IMAP_HOST and IMAP_USER are not set" in result.output


def test_the_worker_schedules_the_periodic_job_which_reads_the_mailbox(
    app, towns, imap_folder, redis
):
    from rq.registry import ScheduledJobRegistry

    from outreach.hooks import hooks
    from outreach.queue import get_queue, get_redis

    for hook in hooks(app).worker_start:
        hook(app, get_redis(app))
    registry = ScheduledJobRegistry(queue=get_queue("default"))
    assert any(job_id.startswith("replies-tick-") for job_id in registry.get_job_ids())

    _, letter = sent_proposal(towns)
    imap_folder.append(messages.reply(in_reply_to=letter.message_id))
    assert jobs.tick_job() == {"received": 1, "skipped": 0}
    assert replies_count() == 1


def test_separate_processes_continue_where_the_last_one_stopped(app, towns, imap_folder, tmp_path):
    import json as json_lib
    import os
    import subprocess
    import sys

    _, letter = sent_proposal(towns)
    env = dict(os.environ)
    env.update({k: str(v) for k, v in imap_folder.config().items()})
    env.update(
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            "OUTREACH_INSTANCE_PATH": str(tmp_path),
        }
    )
    command = [os.path.join(os.path.dirname(sys.executable), "outreach"), "replies", "fetch"]

    def fetch() -> dict:
        done = subprocess.run([*command, "--json"], env=env, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        return json_lib.loads(done.stdout)

    imap_folder.append(messages.reply(in_reply_to=letter.message_id))
    first = fetch()
    assert [r["reply"]["matched_by"] for r in first["received"]] == ["in_reply_to"]
    imap_folder.append(messages.reply(sender="late@town.example", subject="Later"))
    second = fetch()
    assert [r["reply"]["sender"] for r in second["received"]] == ["late@town.example"]
    assert fetch()["received"] == []
    db.session.expire_all()
    assert replies_count() == 2
