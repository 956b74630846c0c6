"""Command line: ``outreach templates list|set`` and ``outreach letters preview``."""

from __future__ import annotations

import json
from typing import TextIO

import click
from flask.cli import AppGroup

from outreach.extensions import db
from outreach.letters import kinds, services, versions
from outreach.letters.kinds import LetterKind
from outreach.letters.render import RenderError, render_letter

templates_cli = AppGroup("templates", help="Letter templates: shipped files and saved versions.")
letters_cli = AppGroup("letters", help="Letters: preview what a candidate would receive.")


@templates_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """Every letter and language, with its active version and where it comes from."""
    entries = [entry.as_dict() for entry in services.template_table(db.session)]
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'LETTER':<12} {'LANGUAGE':<10} {'VERSION':>7}  SOURCE")
    for e in entries:
        click.echo(
            f"{e['letter']:<12} {e['language'] + ' ' + e['language_name']:<10.24} "
            f"{e['version']:>7}  {e['source']}"
        )


@templates_cli.command("set")
@click.argument("letter", type=kinds.CHOICE)
@click.argument("language")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--note", default="", help="What changed (kept in the history).")
def set_command(letter: LetterKind, language: str, file: TextIO, note: str) -> None:
    """Store FILE (subject, text and html blocks) as the next version of LETTER in LANGUAGE."""
    text = file.read()
    try:
        row = versions.save_version(db.session, letter, language.lower(), text, None, note=note)
    except versions.TemplateInvalid as exc:
        db.session.rollback()
        raise click.ClickException(
            f"{letter}/{language} not saved:\n  " + "\n  ".join(exc.messages)
        ) from exc
    db.session.commit()
    click.echo(f"saved {row.letter}/{row.language} version {row.version}")


@letters_cli.command("preview")
@click.argument("candidate_id", type=int)
@click.option("--letter", required=True, type=kinds.CHOICE, help="The letter kind.")
@click.option("--language", default=None, help="Render in this language instead of choosing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def preview_command(
    candidate_id: int, letter: LetterKind, language: str | None, as_json: bool
) -> None:
    """Render LETTER for a candidate and print the chosen language, subject and bodies."""
    try:
        rendered = render_letter(db.session, candidate_id, letter, language)
    except (RenderError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        payload = {
            "candidate_id": candidate_id,
            "letter": rendered.letter,
            "language": rendered.language,
            "reason": rendered.reason,
            "version": rendered.version,
            "version_id": rendered.version_id,
            "subject": rendered.subject,
            "text": rendered.text,
            "html": rendered.html,
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"Language: {rendered.language} ({rendered.reason})")
    click.echo(
        f"Version:  {rendered.version}" + (" (shipped file)" if not rendered.version else "")
    )
    click.echo(f"Subject:  {rendered.subject}")
    click.echo("")
    click.echo(rendered.text)
