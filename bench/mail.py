"""Sending speed of the mail queue against one local SMTP sink, all figures in one run.

Run: ``.venv/bin/python bench/mail.py [N]`` (N letters, default 10,000). Uses a fresh SQLite
database in a temporary folder, or, when ``DATABASE_URL`` names a PostgreSQL server, a fresh
database on it that is dropped afterwards; an embedded Redis server of its own (``REDIS_URL``
is ignored: the bench empties its Redis); and a minimal asyncio SMTP sink in a separate
process, the same sink for (b), (c) and (d).

  (a) creating a batch of N letters: choosing, rendering, one transaction, enqueueing;
  (b) letters per second through two ``outreach worker --burst`` processes (the product's
      AppWorker reading the jobs of (a) from Redis: claim, send, commit the outcome and the
      candidate's move, per letter), from the first claim to the last "sent" in SQL, so the
      workers' start-up is not counted;
  (c) plain smtplib sending the same messages over one reused connection (the ceiling; the
      messages are built beforehand and that time is printed apart), the median of 3 rounds;
  (d) the naive design: one RQ job and one new SMTP connection per letter, two workers, timed
      the same way as (b), the median of 3 samples of 500 letters.

CPU time per letter of the workers, the sink and this script is printed too: all of them
share the machine's cores.

Printed, not asserted. Targets: (a) under 5 s, b/c at least 0.6, b/d at least 4.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

#: Rounds of (c) and samples of (d); their medians are printed.
REPEATS = 3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


# --- a minimal SMTP sink ----------------------------------------------------------------------


async def _session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 sink ESMTP\r\n")
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line[:4].upper()
        if verb == b"EHLO":
            writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SIZE 33554432\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            while True:
                chunk = await reader.readline()
                if chunk in (b".\r\n", b""):
                    break
            writer.write(b"250 2.0.0 queued\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 OK\r\n")
        await writer.drain()
    writer.close()


def run_sink(port: int) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_session, "127.0.0.1", port, backlog=512)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- the naive design -------------------------------------------------------------------------


def naive_send(letter_id: int) -> None:
    """One job per letter, one new SMTP connection per letter."""
    from flask import current_app

    from outreach.extensions import db
    from outreach.mailing import outbox
    from outreach.mailing.models import Letter
    from outreach.mailing.sending import format_sender, letter_message, sender_address

    config = current_app.config
    if not outbox.claim(db.session, letter_id):
        db.session.rollback()
        return
    db.session.commit()
    letter = db.session.get(Letter, letter_id)
    message = letter_message(letter, sender=format_sender(config["MAIL_DEFAULT_SENDER"]))
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as conn:
        conn.sendmail(sender_address(config["MAIL_DEFAULT_SENDER"]), [letter.to_address], message)
    outbox.record_sent(
        db.session, letter_id, "250", municipality_id=letter.municipality_id, user_id=None
    )
    db.session.commit()


# --- the run ----------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc), 0 where unavailable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def reap(process: subprocess.Popen[bytes]) -> float:
    """Wait for a child; returns the CPU time it used."""
    _pid, _status, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(count: int) -> None:
    from sqlalchemy import insert, select

    from outreach.extensions import db
    from outreach.letters import office
    from outreach.pipeline.models import Contact, Municipality

    office.update(
        db.session, {**office.defaults(), "signatory_name": "Олена Коваль", "signatory_gender": "f"}
    )
    countries = [("PL", "pl"), ("LV", "lv"), ("DE", "de"), ("IT", "it"), ("EE", "et")]
    db.session.execute(
        insert(Municipality),
        [
            {
                "name": f"Town {i}",
                "country": countries[i % 5][0],
                "languages": [countries[i % 5][1]],
                "themes": ["education", "energy"],
                "stage": "analysed",
            }
            for i in range(count)
        ],
    )
    ids = list(db.session.scalars(select(Municipality.id).order_by(Municipality.id)))
    db.session.execute(
        insert(Contact),
        [
            {
                "municipality_id": m,
                "name": f"Mayor {m}",
                "email": f"mayor{m}@town{m}.example",
                "role": "Mayor",
                "is_primary": True,
            }
            for m in ids
        ],
    )
    db.session.commit()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    sample = min(500, count // REPEATS)
    folder = tempfile.mkdtemp(prefix="outreach-bench-")
    port = free_port()
    sink = subprocess.Popen([sys.executable, __file__, "--sink", str(port)])
    from tests.support.scratch import scratch_database

    with scratch_database("outreach_bench", os.path.join(folder, "bench.db")) as database:
        try:
            bench(count, sample, folder, port, database, sink.pid)
        finally:
            sink.terminate()
            stop_embedded_redis(folder)


def bench(count: int, sample: int, folder: str, port: int, database: str, sink_pid: int) -> None:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        {
            "DATABASE_URL": database,
            "OUTREACH_INSTANCE_PATH": folder,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(port),
            "MAIL_DEFAULT_SENDER": "Mena Office <office@mena-rada.example>",
            "PYTHONPATH": ROOT,
        }
    )
    os.environ.pop("REDIS_URL", None)
    os.environ.update(env)
    run(count, sample, env, port, sink_pid)


def stop_embedded_redis(folder: str) -> None:
    from redis import Redis

    from outreach.queue import embedded_socket

    with contextlib.suppress(Exception):
        Redis(unix_socket_path=embedded_socket(folder)).shutdown(nosave=True)


def naive_rate(
    session: Any, queue: Any, municipality_ids: list[int], command: list[str], env: dict[str, str]
) -> float:
    """Follow-ups to ``municipality_ids``, one job per letter, through two burst workers."""
    from sqlalchemy import func, select

    from outreach.mailing import queueing
    from outreach.mailing.models import Letter

    naive = queueing.confirm(
        session, "follow_up", {"ids": municipality_ids}, resend=False, user_id=None
    )
    session.rollback()
    queue.empty()
    letter_ids = list(session.scalars(select(Letter.id).where(Letter.batch_id == naive.batch.id)))
    with queue.connection.pipeline() as pipe:
        queue.enqueue_many(
            [queue.prepare_data("bench.mail.naive_send", args=(i,)) for i in letter_ids],
            pipeline=pipe,
        )
        pipe.execute()
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in "ab"]
    for w in workers:
        w.wait()
    session.rollback()
    first, last, sent = session.execute(
        select(
            func.min(Letter.claimed_at),
            func.max(Letter.sent_at),
            func.count(Letter.id).filter(Letter.status == "sent"),
        ).where(Letter.batch_id == naive.batch.id)
    ).one()
    assert sent == len(letter_ids), f"{sent} of {len(letter_ids)} sent"
    return len(letter_ids) / (last - first).total_seconds()


def run(count: int, sample: int, env: dict[str, str], port: int, sink_pid: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from outreach import create_app
    from outreach.extensions import db
    from outreach.mailing import queueing
    from outreach.mailing.models import Letter
    from outreach.queue import get_queue, get_redis

    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
        get_redis().flushdb()
        env["REDIS_URL"] = app.config["REDIS_URL"]
        seed(count)

        # (a) create the batch
        started = time.perf_counter()
        done = queueing.confirm(db.session, "proposal", {}, resend=False, user_id=None)
        create_s = time.perf_counter() - started
        assert done.letters == count and done.queued
        db.session.rollback()

        # (b) two workers, end to end
        def sent() -> int:
            db.session.rollback()
            return int(
                db.session.scalar(select(func.count(Letter.id)).where(Letter.status == "sent"))
            )

        command = [os.path.join(os.path.dirname(sys.executable), "outreach"), "worker", "--burst"]
        started = time.perf_counter()
        sink_cpu = cpu_seconds(sink_pid)
        own_cpu = time.process_time()
        workers = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in "ab"]
        # Burst workers leave when the queue is empty; nothing polls the database meanwhile.
        workers_cpu = sum(reap(w) for w in workers)
        wall_b = time.perf_counter() - started
        sink_cpu = cpu_seconds(sink_pid) - sink_cpu
        own_cpu = time.process_time() - own_cpu
        assert sent() == count, f"{sent()} of {count} letters sent"
        first, last = db.session.execute(
            select(func.min(Letter.claimed_at), func.max(Letter.sent_at))
        ).one()
        span_b = (last - first).total_seconds()
        rate_b = count / span_b

        # (c) plain smtplib over one connection, the same messages
        from outreach.mailing.sending import format_sender, letter_message

        sender = format_sender(app.config["MAIL_DEFAULT_SENDER"])
        rows = db.session.scalars(select(Letter).order_by(Letter.id)).all()
        started = time.perf_counter()
        messages = [
            (
                x.to_address,
                letter_message(x, sender=sender),
            )
            for x in rows
        ]
        build_s = time.perf_counter() - started
        # Three rounds (it varies with how the two processes land on the cores): the median.
        rates_c = []
        sink_cpu_c = cpu_seconds(sink_pid)
        own_cpu_c = time.process_time()
        for _round in range(REPEATS):
            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as conn:
                for to, message in messages:
                    conn.sendmail("office@mena-rada.example", [to], message)
            rates_c.append(count / (time.perf_counter() - started))
        sink_cpu_c = (cpu_seconds(sink_pid) - sink_cpu_c) / REPEATS
        own_cpu_c = (time.process_time() - own_cpu_c) / REPEATS
        rate_c = statistics.median(rates_c)

        # (d) naive: one job and one connection per letter, two workers; three samples, median
        queue = get_queue("mail")
        rates_d = []
        for n in range(REPEATS):
            ids = [x.municipality_id for x in rows[n * sample : (n + 1) * sample]]
            rates_d.append(naive_rate(db.session, queue, ids, command, env))
        rate_d = statistics.median(rates_d)
        chunk = int(app.config.get("MAIL_CHUNK_SIZE", 50))
        backend = db.engine.url.get_backend_name()

    rule = "-" * 78
    print(rule)
    print(
        f"{count} letters; {backend}; MAIL_CHUNK_SIZE {chunk}; {os.cpu_count()} cores shared by "
        "the sink, the workers and this script"
    )
    print(rule)
    print(f"(a) create a batch of {count} letters: {create_s:.2f} s (target < 5 s)")
    print(
        f"(b) two workers, end to end: {rate_b:.0f} letters/s "
        f"(first claim to last sent {span_b:.1f} s; with worker start-up {wall_b:.1f} s)"
    )
    per = 1000 / count
    busy = workers_cpu + sink_cpu + own_cpu
    print(
        f"    CPU per letter in (b): workers {workers_cpu * per:.2f} ms (both, start-up "
        f"included), sink {sink_cpu * per:.2f} ms, this script {own_cpu * per:.2f} ms; "
        f"{busy / wall_b:.2f} of {os.cpu_count()} cores busy"
    )
    print(
        f"(c) plain smtplib, one connection: {rate_c:.0f} letters/s, median of "
        f"{' / '.join(f'{r:.0f}' for r in rates_c)} "
        f"(building the {count} messages beforehand took {build_s:.2f} s, not counted)"
    )
    print(
        f"    CPU per letter in (c): smtplib {own_cpu_c * per:.2f} ms, "
        f"sink {sink_cpu_c * per:.2f} ms"
    )
    print(
        f"(d) one job + one connection per letter ({sample} letters): {rate_d:.0f} letters/s, "
        f"median of {' / '.join(f'{r:.0f}' for r in rates_d)}"
    )
    print(rule)
    print(f"b/c = {rate_b / rate_c:.2f} (target >= 0.6); b/d = {rate_b / rate_d:.1f} (target >= 4)")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--sink":
        run_sink(int(sys.argv[2]))
    else:
        main()
