"""Command line: ``outreach batch create|status|cancel``, ``outreach letters list|resolve``,
``outreach sweep``. Thin: each command parses options and calls one service."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from outreach.extensions import db
from outreach.letters import kinds
from outreach.letters.cli import letters_cli
from outreach.letters.kinds import LetterKind
from outreach.letters.render import RenderError
from outreach.locales import THEMES
from outreach.mailing import batches, outbox, queueing
from outreach.mailing.models import Batch, Letter, LetterStatus
from outreach.pipeline.cli import STAGE_CHOICE


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.group("batch")
def batch_cli() -> None:
    """Send a letter to many candidates through the mail queue."""


@batch_cli.command("create")
@click.option("--letter", required=True, type=kinds.CHOICE, help="The letter kind.")
@click.option(
    "--stage", multiple=True, type=STAGE_CHOICE, help="Only candidates in this stage (repeatable)."
)
@click.option("--country", multiple=True, help="Only candidates in this country (repeatable).")
@click.option("--language", default=None, help="Only candidates speaking this language.")
@click.option(
    "--theme",
    default=None,
    type=click.Choice(list(THEMES), case_sensitive=False),
    help="Only candidates with this theme.",
)
@click.option("--owner", type=int, default=None, help="Only candidates of this owner (user id).")
@click.option("--ids", default=None, help="Only these candidate ids, e.g. 1,2,3.")
@click.option("--resend", is_flag=True, help="Also send to candidates that already got it.")
@click.option("--yes", is_flag=True, help="Create and send; without it, only the summary.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def create_command(
    letter: LetterKind,
    stage: tuple[str, ...],
    country: tuple[str, ...],
    language: str | None,
    theme: str | None,
    owner: int | None,
    ids: str | None,
    resend: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """Show who would get LETTER; with --yes, create the batch and queue it."""
    try:
        filters = _filters(stage, country, language, theme, owner, ids)
        if not yes:
            summary = batches.preview(db.session, letter, filters, resend=resend).summary()
            _print_summary(summary, as_json)
            return
        done = queueing.confirm(db.session, letter, filters, resend=resend, user_id=None)
    except (batches.BatchError, RenderError) as exc:
        _fail(str(exc))
        return
    summary = done.preview.summary() if done.preview else {"excluded": {}}
    if as_json:
        click.echo(
            json.dumps(
                {
                    "batch_id": done.batch.id,
                    "letters": done.letters,
                    "excluded": summary["excluded"],
                    "languages": summary.get("languages", {}),
                    "created": done.created,
                    "queued": done.queued,
                }
            )
        )
        return
    click.echo(f"batch {done.batch.id}: {done.letters} letters")
    if not done.created:
        click.echo("(this batch already existed: nothing new was created)")
    elif not done.queued:
        click.echo("the mail queue is unreachable: sending will start when the queue is back")


def _filters(
    stage: tuple[str, ...],
    country: tuple[str, ...],
    language: str | None,
    theme: str | None,
    owner: int | None,
    ids: str | None,
) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if stage:
        filters["stage"] = [s.lower() for s in stage]
    if country:
        filters["country"] = [c.strip().upper() for c in country]
    if language:
        filters["language"] = language.strip().lower()
    if theme:
        filters["theme"] = theme.strip().lower()
    if owner:
        filters["owner"] = owner
    if ids:
        filters["ids"] = batches.parse_ids(ids)
    return filters


def _print_summary(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(f"{summary['letters']} letters of {summary['letter']}")
    for language, count in summary["languages"].items():
        click.echo(f"  {language}: {count}")
    for item in summary["fallbacks"]:
        click.echo(f"  fallback: {item['name']} gets {item['language']} ({item['reason']})")
    for item in summary["excluded_candidates"]:
        label = batches.REASONS[item["reason"]]
        click.echo(f"  left out: {item['name']} (#{item['candidate_id']}): {label}")
    click.echo("run again with --yes to send")


def _batch(batch_id: int) -> Batch:
    batch = db.session.get(Batch, batch_id)
    if batch is None:
        _fail(f"no batch with id {batch_id}")
    assert batch is not None
    return batch


@batch_cli.command("status")
@click.argument("batch_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def status_command(batch_id: int, as_json: bool) -> None:
    """Letters of batch BATCH_ID per state."""
    batch = _batch(batch_id)
    counts = batches.counts(db.session, batch.id)
    if as_json:
        payload = {"batch_id": batch.id, "letter": batch.letter, "status": batch.status}
        click.echo(json.dumps({**payload, "counts": counts, "total": sum(counts.values())}))
        return
    click.echo(f"batch {batch.id} ({batch.letter}, {batch.status}): {sum(counts.values())} letters")
    for state, count in counts.items():
        if count:
            click.echo(f"  {state}: {count}")


@batch_cli.command("cancel")
@click.argument("batch_id", type=int)
@with_appcontext
def cancel_command(batch_id: int) -> None:
    """Cancel the letters of BATCH_ID that no worker has taken yet."""
    batch = _batch(batch_id)
    count = outbox.cancel_batch(db.session, batch)
    db.session.commit()
    click.echo(f"batch {batch.id}: {count} letters cancelled")


@click.command("list")
@click.option("--batch", "batch_id", type=int, default=None, help="Only this batch.")
@click.option(
    "--status",
    type=click.Choice([s.value for s in LetterStatus]),
    default=None,
    help="Only letters in this state.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def list_command(batch_id: int | None, status: str | None, as_json: bool) -> None:
    """Letters in the outbox, newest first."""
    query = select(Letter).order_by(Letter.id.desc())
    if batch_id is not None:
        query = query.where(Letter.batch_id == batch_id)
    if status:
        query = query.where(Letter.status == status)
    items = [letter_item(letter) for letter in db.session.scalars(query)]
    if as_json:
        click.echo(json.dumps(items))
        return
    for item in items:
        click.echo(
            f"{item['id']}\t{item['status']}\t{item['language']}\t{item['to']}"
            + (f"\t{item['error']}" if item["error"] else "")
        )


def letter_item(letter: Letter) -> dict[str, Any]:
    return {
        "id": letter.id,
        "batch_id": letter.batch_id,
        "candidate_id": letter.municipality_id,
        "letter": letter.letter,
        "to": letter.to_address,
        "language": letter.language,
        "subject": letter.subject,
        "status": letter.status,
        "message_id": letter.message_id,
        "attempts": letter.attempts,
        "error": letter.error,
        "smtp_response": letter.smtp_response,
        "sent_at": letter.sent_at.isoformat() if letter.sent_at else None,
    }


@click.command("resolve")
@click.argument("letter_id", type=int)
@click.option("--sent", "as_sent", is_flag=True, help="The letter did arrive: mark it sent.")
@click.option("--resend", is_flag=True, help="Send it again as a new letter.")
@with_appcontext
def resolve_command(letter_id: int, as_sent: bool, resend: bool) -> None:
    """Decide about an uncertain letter: --sent or --resend."""
    if as_sent == resend:
        _fail("choose exactly one of --sent and --resend")
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        _fail(f"no letter with id {letter_id}")
    assert letter is not None
    try:
        if as_sent:
            outbox.mark_sent(db.session, letter, user_id=None)
            db.session.commit()
            click.echo(f"letter {letter.id} marked as sent")
            return
        copy = outbox.resend(db.session, letter, user_id=None)
        db.session.commit()
    except outbox.OutboxError as exc:
        db.session.rollback()
        _fail(str(exc))
        return
    queued = queueing.hand_over(db.session, [copy.id], prefix=f"mail-letter-{copy.id}")
    click.echo(f"letter {letter.id} resent as letter {copy.id}")
    if not queued:
        click.echo("the mail queue is unreachable: sending will start when the queue is back")


@click.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Re-queue waiting letters and mark expired claims as uncertain."""
    result = queueing.run_sweep(db.session)
    click.echo(f"{len(result.due)} letters handed to the queue, {result.expired} uncertain")


def register_letters_commands() -> None:
    """Add ``list`` and ``resolve`` to the ``outreach letters`` group."""
    letters_cli.add_command(list_command)
    letters_cli.add_command(resolve_command)
