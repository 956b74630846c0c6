"""How fast the partner finder answers over the whole gazetteer, and what loading it costs.

    .venv/bin/python bench/discovery.py [--requests 21]

Builds a fresh database (SQLite in a temporary folder, or a new PostgreSQL database on the
server named by ``DATABASE_URL``), loads the demo data, then runs ``outreach gazetteer load``
as a separate process, as an administrator would, and prints:

- the load's wall time and the loading process's peak memory;
- how much the database grew (the SQLite file, or ``pg_database_size``);
- for each search, the median and 95th percentile of ``finder.find`` and of the whole page
  (``GET /discover?...`` through the test client, as a viewer);
- the memory of this process, which serves the queries, before the first and after the last
  one: the finder queries the table and keeps no copy of the data set.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SEARCHES: tuple[dict[str, Any], ...] = (
    {},
    {"country": "PL"},
    {"q": "zyrakow"},
    {"q": "dabrowa"},
    {"min_population": 5000, "max_population": 20000},
    {"country": "DE", "region": "DE.05"},
    {"new_only": True, "limit": 200},
)


def rss_mb() -> float:
    """This process's resident memory now."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def database_mb(engine: sa.Engine, sqlite_path: Path) -> float:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            size = conn.scalar(sa.text("SELECT pg_database_size(current_database())"))
        return int(size or 0) / 2**20
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return (
        sum(p.stat().st_size for p in sqlite_path.parent.glob(sqlite_path.name + "*") if p.exists())
        / 2**20
    )


def timed(fn: Any, requests: int) -> tuple[float, float]:
    fn()  # warm caches and compiled templates
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=21)
    args = parser.parse_args()

    from outreach.auth.models import User
    from outreach.demo import load_demo_data
    from outreach.discovery import finder
    from outreach.extensions import db
    from tests.support.scratch import bench_app, scratch_database

    with tempfile.TemporaryDirectory() as tmp:
        sqlite_path = Path(tmp) / "discovery.db"
        with scratch_database("outreach_bench_discovery", str(sqlite_path)) as url:
            app = bench_app(url)
            with app.app_context():
                load_demo_data(db.session)
                db.session.commit()
                dialect = db.engine.dialect.name
                before = database_mb(db.engine, sqlite_path)
                db.engine.dispose()

            env = {**os.environ, "DATABASE_URL": url, "OUTREACH_INSTANCE_PATH": tmp}
            started = time.perf_counter()
            load = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "outreach", "gazetteer", "load"],
                env=env,
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - started
            if load.returncode != 0:
                raise SystemExit(load.stdout + load.stderr)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

            with app.app_context():
                after = database_mb(db.engine, sqlite_path)
                print(f"database: {dialect}")
                print(f"load: {load.stdout.strip()}")
                print(
                    f"  wall time {seconds:.1f} s, peak memory of the loading process {peak:.0f} MB"
                )
                print(f"  database grew by {after - before:.1f} MB ({before:.1f} → {after:.1f} MB)")

                viewer = db.session.scalar(sa.select(User).where(User.role == "viewer"))
                client = app.test_client()
                with client.session_transaction() as session:
                    session["_user_id"] = viewer.get_id()
                    session["_fresh"] = True
                memory_before = rss_mb()
                print(f"\n{'search':<48} {'matching':>8} {'find ms':>14} {'page ms':>14}")
                for search in SEARCHES:
                    query = finder.Search(**search)
                    found = finder.find(db.session, query)

                    def run_find(query: finder.Search = query) -> None:
                        finder.find(db.session, query)
                        db.session.rollback()

                    params = {k: ("y" if v is True else v) for k, v in search.items()}

                    def run_page(params: dict[str, Any] = params) -> None:
                        response = client.get("/discover", query_string=params)
                        assert response.status_code == 200, response.status_code

                    find_median, find_p95 = timed(run_find, args.requests)
                    page_median, page_p95 = timed(run_page, args.requests)
                    label = " ".join(f"{k}={v}" for k, v in search.items()) or "(no filter)"
                    print(
                        f"{label:<48} {found.matching:>8,} "
                        f"{find_median:>6.0f} p95 {find_p95:>4.0f} "
                        f"{page_median:>6.0f} p95 {page_p95:>4.0f}"
                    )
                print(
                    f"\nmemory of the querying process: {memory_before:.0f} MB before the first "
                    f"search, {rss_mb():.0f} MB after the last"
                )
                db.engine.dispose()


if __name__ == "__main__":
    main()
