"""How fast a CSV import checks and writes candidates.

    .venv/bin/python bench/imports.py [--rows 290000 --updates 10000]

Builds a fresh database (SQLite in a temporary folder, or a new PostgreSQL database on the
server named by ``DATABASE_URL``) and times :func:`outreach.pipeline.transfer.import_csv`, the
function behind the import page, the background import job and ``outreach candidates import``:

- (a) a file of ``--rows`` new candidates (by default as large as a 15 MB upload), checked and
  written, with the peak memory of the process;
- (b) the same file as a dry run (only the checks);
- (c) a file that changes ``--updates`` of those candidates (population, notes, region and the
  contact's name), with "update existing" on;
- (d) a file of ``IMPORT_INLINE_ROWS`` new rows: the largest file the page imports while the
  person waits, instead of handing it to a worker.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COUNTRIES = (("PL", "pl", "Gmina"), ("DE", "de", "Gemeinde"), ("LV", "lv", "Novads"))
HEADER = "name,country,email,population,languages,region,contact_name,notes\n"


def csv_text(first: int, count: int, *, changed: bool = False) -> str:
    """``count`` candidate rows numbered from ``first``; ``changed`` alters four fields."""
    lines = [HEADER]
    for number in range(first, first + count):
        country, language, kind = COUNTRIES[number % len(COUNTRIES)]
        population = 1000 + number % 90_000 + (7 if changed else 0)
        region = f"R{number % 17}{'x' if changed else ''}"
        contact = f"M {number}{' Jr' if changed else ''}"
        notes = "checked again" if changed else ""
        lines.append(
            f"{kind} {number},{country},m{number}@t.example,{population},"
            f"{language},{region},{contact},{notes}\n"
        )
    return "".join(lines)


class Phases:
    """Records when an import moves from checking its rows to writing them."""

    def __init__(self) -> None:
        self.writing_at: float | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "writing":
            self.writing_at = time.perf_counter()


def timed(label: str, work: Any, phases: Phases) -> Any:
    phases.writing_at = None
    started = time.perf_counter()
    result = work()
    ended = time.perf_counter()
    split = ""
    if phases.writing_at is not None:
        split = (
            f"   (checking {phases.writing_at - started:.2f} s,"
            f" writing and committing {ended - phases.writing_at:.2f} s)"
        )
    print(f"{label:<58} {ended - started:>8.2f} s{split}", flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=290_000)
    parser.add_argument("--updates", type=int, default=10_000)
    args = parser.parse_args(argv)

    from flask_migrate import upgrade

    from outreach import create_app
    from outreach.extensions import db
    from outreach.pipeline import transfer
    from tests.support.scratch import scratch_database

    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as folder:
        tmp = Path(folder)
        os.environ["OUTREACH_INSTANCE_PATH"] = str(tmp / "instance")
        with scratch_database("outreach_bench_import", str(tmp / "import.db")) as url:
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
            with app.app_context(), app.test_request_context():
                logging.disable(logging.INFO)  # the migrations' progress lines
                try:
                    upgrade()
                finally:
                    logging.disable(logging.NOTSET)
                print(f"database: {db.engine.dialect.name}")

                phases = Phases()

                def run(text: str, **options: Any) -> transfer.ImportReport:
                    report = transfer.import_csv(db.session, text, progress=phases, **options)
                    if not report.ok:
                        raise SystemExit("\n".join(report.lines()[:5]))
                    if report.written:
                        db.session.commit()
                    else:
                        db.session.rollback()
                    return report

                big = csv_text(1, args.rows)
                size = len(big.encode()) / 1e6
                report = timed(
                    f"(a) import {args.rows:,} new rows ({size:.1f} MB)", lambda: run(big), phases
                )
                assert report.created == args.rows
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"    peak memory of the process: {peak:,.0f} MB")
                dry = timed(
                    f"(b) dry run of the same {args.rows:,} rows (all exist now, update on)",
                    lambda: run(big, update=True, dry_run=True),
                    phases,
                )
                assert dry.unchanged == args.rows
                changes = csv_text(1, args.updates, changed=True)
                report = timed(
                    f"(c) update {args.updates:,} existing rows (4 fields each)",
                    lambda: run(changes, update=True),
                    phases,
                )
                assert report.updated == args.updates
                inline = int(app.config["IMPORT_INLINE_ROWS"])
                if inline:
                    small = csv_text(args.rows + 1, inline)
                    label = f"(d) import {inline:,} new rows (IMPORT_INLINE_ROWS)"
                    timed(label, lambda: run(small), phases)
                db.session.remove()
                db.engine.dispose()


if __name__ == "__main__":
    main()
