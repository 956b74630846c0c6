"""Run the app from an unpacked wheel and record every file it opens (see test_packaging).

Usage: ``PYTHONPATH=<unpacked wheel> python probe.py WORKDIR``, from a folder outside the
checkout. It migrates a fresh SQLite database, creates an account and candidates with the
command line, and through a test client logs in, saves the office settings, previews every
shipped letter in every language, fetches every static file and a page in Ukrainian. It
prints JSON: ``{"opened": [...], "folders": {...}, "problems": [...]}``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

opened: set[str] = set()


def audit(event: str, args: tuple[Any, ...]) -> None:
    if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], str | bytes):
        path = os.fsdecode(args[0])
        opened.add(os.path.abspath(path))


CSV = """name,country,languages,email,stage
Żyraków,PL,pl,wojt@zyrakow.example,analysed
Olaine,LV,lv,dome@olaine.example,analysed
Friedberg,DE,de,rathaus@friedberg.example,analysed
Ічня,UA,uk,rada@ichnia.example,analysed
"""
#: The candidate each letter language is previewed for: Ukrainian letters need a town whose
#: name is written in Cyrillic.
PREVIEWED = {"uk": 4}
ADMIN, PASSWORD = "admin@probe.example", "probe-password-123"


def folders(app: Flask) -> dict[str, str]:
    """The folders the app reads files from, by what they hold (in an app context)."""
    from flask_babel import get_babel

    from outreach import resources
    from outreach.letters import sources

    [translations] = get_babel(app).translation_directories
    return {
        "page templates": os.path.join(app.root_path, app.template_folder or ""),
        "static files": app.static_folder or "",
        "translations": translations,
        "letter templates": sources.folder(),
        "migrations": str(resources.migrations_dir()),
    }


def main(workdir: Path) -> dict[str, Any]:
    sys.addaudithook(audit)
    problems: list[str] = []

    from flask_migrate import upgrade

    from outreach import create_app
    from outreach.extensions import db
    from outreach.letters import office, sources
    from outreach.ops import checks

    app = create_app(
        {
            "SECRET_KEY": "probe-secret-key-long-enough-for-the-check",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'probe.db'}",
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    with app.app_context():
        upgrade()
        found = folders(app)
        letters = sorted(sources.shipped())
        for check in (checks.letter_templates(app), checks.time_zone(app)):
            if not check.ok:
                problems.append(f"check {check.name}: {check.message}")

    (workdir / "candidates.csv").write_text(CSV, encoding="utf-8")
    runner = app.test_cli_runner()
    for args, stdin in (
        (["users", "create", ADMIN, "--role", "admin", "--password-stdin"], PASSWORD + "\n"),
        (["candidates", "import", str(workdir / "candidates.csv")], None),
    ):
        result = runner.invoke(args=args, input=stdin)
        if result.exit_code != 0:
            problems.append(f"outreach {' '.join(args)}: {result.output}")
    with app.app_context():
        session = db.session()
        office.update(
            session,
            {
                **office.values(session),
                "signatory_name": "Петро Пробний",
                "signatory_gender": "m",
            },
        )
        session.commit()

    client = app.test_client()
    client.post("/login", data={"email": ADMIN, "password": PASSWORD})
    for letter, language in letters:
        response = client.get(
            "/letters/preview/frame",
            query_string={
                "letter": letter,
                "candidate": PREVIEWED.get(language, 1),
                "language": language,
            },
        )
        body = response.get_data(as_text=True)
        if response.status_code != 200 or "{{" in body or f'lang="{language}"' not in body:
            problems.append(f"preview of {letter}/{language}: {response.status_code}")
    static = Path(found["static files"])
    for file in sorted(p for p in static.rglob("*") if p.is_file()):
        response = client.get(f"/static/{file.relative_to(static).as_posix()}")
        if response.status_code != 200:
            problems.append(f"static file {file.name}: {response.status_code}")
        response.close()
    client.post("/locale/uk")
    if "Дошка" not in client.get("/board").get_data(as_text=True):
        problems.append("the board in Ukrainian does not say Дошка: catalogs not found")
    return {"opened": sorted(opened), "folders": found, "problems": problems}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
