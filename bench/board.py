"""How fast the board and the candidate list answer with many candidates.

    .venv/bin/python bench/board.py [--candidates 10000 --changes 50000 --requests 30]

Builds a fresh database (SQLite in a temporary folder, or a new PostgreSQL database on the
server named by ``DATABASE_URL``), bulk-inserts candidates with contacts and stage history,
and times each page through the test client as a viewer: median and 95th percentile of the
server time, and the SQL statements one request runs. The same pages are then counted at a
tenth of the size, to show the number of statements does not grow with the data.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGES = (
    "/board",
    "/board?country=PL",
    "/candidates",
    "/candidates?page=50&sort=name",
)

COUNTRIES = {
    "PL": ("pl", "Gmina"),
    "DE": ("de", "Gemeinde"),
    "LV": ("lv", "Novads"),
    "LT": ("lt", "Savivaldybė"),
    "IT": ("it", "Comune"),
    "FR": ("fr", "Commune"),
    "CZ": ("cs", "Obec"),
    "SK": ("sk", "Obec"),
    "RO": ("ro", "Comuna"),
    "EE": ("et", "Vald"),
    "GB": ("en", "Parish"),
    "JP": ("ja", "Town"),
}
THEMES = ("education", "culture", "tourism", "agriculture", "energy", "youth", "health")
STAGES = ("analysed", "letter_sent", "negotiating", "signed", "declined", "on_hold")
STAGE_WEIGHTS = (50, 25, 10, 3, 7, 5)
#: The path each stage is reached by, from "analysed".
PATHS = {
    "analysed": [],
    "letter_sent": ["letter_sent"],
    "negotiating": ["letter_sent", "negotiating"],
    "signed": ["letter_sent", "negotiating", "signed"],
    "declined": ["letter_sent", "declined"],
    "on_hold": ["letter_sent", "on_hold"],
}


@dataclass
class Timing:
    page: str
    median_ms: float
    p95_ms: float
    statements: int


def fresh_database(tmp: Path, label: str) -> Any:
    from tests.support.scratch import scratch_database

    return scratch_database(f"outreach_bench_{label}", str(tmp / f"{label}.db"))


def populate(session: Any, candidates: int, changes: int, seed: int = 7) -> str:
    """Insert ``candidates`` with contacts and about ``changes`` stage changes; returns what
    the viewer's session cookie carries (``User.get_id()``)."""
    from outreach.auth.services import create_user
    from outreach.clock import utcnow
    from outreach.pipeline.models import Contact, Municipality, StageChange

    rng = random.Random(seed)
    viewer = create_user(session, "viewer@bench.example", "bench-password", "viewer")
    owners = [
        create_user(session, f"coordinator{n}@bench.example", "bench-password", "coordinator")
        for n in range(3)
    ]
    session.flush()
    now = utcnow()
    codes = list(COUNTRIES)

    municipalities: list[dict[str, Any]] = []
    histories: list[list[str]] = []
    for number in range(1, candidates + 1):
        country = rng.choice(codes)
        language, kind = COUNTRIES[country]
        stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
        created = now - timedelta(days=rng.randint(30, 900), minutes=number)
        path = list(PATHS[stage])
        histories.append(path)
        changed = created + timedelta(days=len(path) * rng.randint(1, 10))
        municipalities.append(
            {
                "id": number,
                "name": f"{kind} {number:05d}",
                "name_local": f"{kind} {number:05d}",
                "country": country,
                "region": f"Region {number % 17}",
                "population": rng.randint(2_000, 120_000),
                "website": f"https://m{number}.example",
                "languages": [language],
                "themes": rng.sample(THEMES, rng.randint(1, 3)),
                "source": "import",
                "notes": "",
                "do_not_contact": False,
                "owner_id": rng.choice(owners).id,
                "stage": stage,
                "stage_changed_at": changed,
                "agreement_date": date(2025, 1, 1) if stage == "signed" else None,
                "decline_reason": "",
                "created_at": created,
                "updated_at": changed,
            }
        )
    session.execute(sa.insert(Municipality.__table__), municipalities)

    contacts = []
    for row in municipalities:
        contacts.append(
            {
                "municipality_id": row["id"],
                "name": f"Mayor of {row['name']}",
                "role": "Mayor",
                "email": f"mayor{row['id']}@m{row['id']}.example",
                "language": row["languages"][0],
                "gender": "",
                "is_primary": True,
                "created_at": row["created_at"],
            }
        )
        if row["id"] % 3 == 0:
            contacts.append(
                {
                    "municipality_id": row["id"],
                    "name": "Office",
                    "role": "International office",
                    "email": f"office{row['id']}@m{row['id']}.example",
                    "language": "en",
                    "gender": "",
                    "is_primary": False,
                    "created_at": row["created_at"],
                }
            )
    session.execute(sa.insert(Contact.__table__), contacts)

    # Every candidate gets its creation and its path; the rest of the budget goes to
    # back-and-forth moves (letter sent and back to analysed) before the path.
    minimum = sum(1 + len(path) for path in histories)
    extra = max(0, changes - minimum)
    rounds = [0] * candidates
    for _ in range(extra // 2):
        rounds[rng.randrange(candidates)] += 1
    stage_changes = []
    for row, path, bounce in zip(municipalities, histories, rounds, strict=True):
        steps: list[tuple[str | None, str]] = [(None, "analysed")]
        steps += [("analysed", "letter_sent"), ("letter_sent", "analysed")] * bounce
        previous = "analysed"
        for stage in path:
            steps.append((previous, stage))
            previous = stage
        at = row["created_at"]
        for source, target in steps:
            stage_changes.append(
                {
                    "municipality_id": row["id"],
                    "from_stage": source,
                    "to_stage": target,
                    "user_id": row["owner_id"],
                    "note": "",
                    "created_at": at,
                }
            )
            at = at + timedelta(hours=rng.randint(1, 72))
    session.execute(sa.insert(StageChange.__table__), stage_changes)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT setval('municipality_id_seq', (SELECT max(id) FROM municipality))")
        )
    session.commit()
    return str(viewer.get_id())


def measure(candidates: int, changes: int, requests: int, tmp: Path, label: str) -> list[Timing]:
    from outreach.extensions import db
    from tests.support.scratch import bench_app

    with fresh_database(tmp, label) as url:
        app = bench_app(url)
        with app.app_context():
            started = time.perf_counter()
            viewer_session = populate(db.session, candidates, changes)
            filled = time.perf_counter() - started
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(sa.text("ANALYZE"))
            else:
                with db.engine.begin() as conn:
                    conn.execute(sa.text("ANALYZE"))
            inserted = db.session.scalar(sa.text("SELECT count(*) FROM stage_change"))
            print(
                f"  {label}: {candidates:,} candidates, {inserted:,} stage changes "
                f"inserted in {filled:.1f} s ({db.engine.dialect.name})",
                file=sys.stderr,
            )

            counter = {"n": 0}

            def count(*_args: Any) -> None:
                counter["n"] += 1

            sa.event.listen(db.engine, "before_cursor_execute", count)
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = viewer_session
                session["_fresh"] = True

            results = []
            for page in PAGES:
                for _ in range(2):  # warm caches and compiled templates
                    response = client.get(page)
                    if response.status_code != 200:
                        raise SystemExit(f"GET {page} answered {response.status_code}")
                times = []
                statements = set()
                for _ in range(requests):
                    counter["n"] = 0
                    started = time.perf_counter()
                    response = client.get(page)
                    times.append((time.perf_counter() - started) * 1000)
                    statements.add(counter["n"])
                    assert response.status_code == 200
                times.sort()
                p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
                results.append(Timing(page, statistics.median(times), p95, max(statements)))
            sa.event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
            db.engine.dispose()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as folder:
        tmp = Path(folder)
        os.environ["OUTREACH_INSTANCE_PATH"] = str(tmp / "instance")
        os.environ.pop("REDIS_URL", None)
        big = measure(args.candidates, args.changes, args.requests, tmp, "large")
        small_n = max(1, args.candidates // 10)
        small = measure(small_n, args.changes // 10, args.requests, tmp, "small")

    header = (
        f"{'page':<32} {'median ms':>10} {'p95 ms':>8} "
        f"{'SQL @' + format(args.candidates, ','):>12} {'SQL @' + format(small_n, ','):>11}"
    )
    print()
    print(header)
    print("-" * len(header))
    for large, little in zip(big, small, strict=True):
        print(
            f"{large.page:<32} {large.median_ms:>10.1f} {large.p95_ms:>8.1f} "
            f"{large.statements:>12} {little.statements:>11}"
        )
    print()
    print(
        f"median and p95 over {args.requests} requests at {args.candidates:,} candidates; "
        f"at {small_n:,}: " + ", ".join(f"{t.page} {t.median_ms:.1f} ms" for t in small)
    )


if __name__ == "__main__":
    main()
