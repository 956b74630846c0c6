"""Command line: ``outreach replies fetch|import|list`` and ``outreach followups due|send``.
Thin: each command parses options and calls one service or edge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from outreach.clock import utcnow
from outreach.extensions import db
from outreach.letters.render import RenderError
from outreach.mailing.batches import BatchError
from outreach.replies import followups, jobs, quarantine, services
from outreach.replies.imap import MailboxError
from outreach.replies.models import ReplySource
from outreach.replies.parse import ParseError


def _describe(item: dict[str, Any]) -> str:
    reply = item["reply"]
    where = (
        f"candidate {reply['municipality_id']} ({reply['municipality']}) by {reply['matched_by']}"
        if reply["municipality_id"]
        else "unmatched"
    )
    if item.get("duplicate"):
        return f"{reply['message_id']}: already recorded as reply {reply['id']} ({where})"
    effects = "; ".join(item.get("effects") or []) or "nothing changed"
    return f"reply {reply['id']} [{reply['kind']}] from {reply['sender']}: {where}; {effects}"


@click.group("replies")
def replies_cli() -> None:
    """Read replies from the mailbox or a saved message; list them."""


@replies_cli.command("fetch")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def fetch_command(as_json: bool) -> None:
    """Read the mailbox once and print what was matched."""
    try:
        result = jobs.run_fetch()
    except MailboxError as exc:
        raise click.ClickException(str(exc)) from None
    items = [o.as_dict() for o in result.outcomes]
    skipped = [{"uid": uid, "reason": reason} for uid, reason in result.skipped]
    if as_json:
        click.echo(json.dumps({"received": items, "skipped": skipped}, ensure_ascii=False))
        return
    for item in items:
        click.echo(_describe(item))
    for entry in skipped:
        click.echo(f"quarantined message UID {entry['uid']}: {entry['reason']}")
    new = sum(1 for i in items if not i["duplicate"])
    click.echo(f"{new} new, {len(items) - new} already recorded, {len(skipped)} quarantined")


@replies_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def import_command(path: Path, as_json: bool) -> None:
    """Record a saved message (.eml) and print its match and effect."""
    raw = path.read_bytes()
    try:
        done = quarantine.intake(db.session, raw, source=ReplySource.EML.value, unreadable=False)
        db.session.commit()
    except ParseError as exc:
        db.session.rollback()
        raise click.ClickException(f"{path.name}: {exc}") from None
    except Exception:
        db.session.rollback()
        raise
    if isinstance(done, quarantine.Quarantined):
        raise click.ClickException(
            f"{path.name}: quarantined as {done.item.id}: {done.item.reason}"
        )
    item = done.as_dict()
    click.echo(json.dumps(item, ensure_ascii=False) if as_json else _describe(item))


@replies_cli.command("list")
@click.option("--unmatched", is_flag=True, help="Only replies waiting to be assigned.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def list_command(unmatched: bool, as_json: bool) -> None:
    """List replies, newest first."""
    replies = services.list_replies(db.session, unmatched=unmatched, limit=10_000)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in replies], ensure_ascii=False))
        return
    for r in replies:
        who = r.municipality.name if r.municipality else "unmatched"
        click.echo(
            f"{r.id}\t{r.received_at:%Y-%m-%d %H:%M}\t{r.kind}\t{r.sender}\t{who}\t{r.subject}"
        )


@replies_cli.group("quarantine")
def quarantine_cli() -> None:
    """Incoming messages that could not be read or stored."""


@quarantine_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def quarantine_list_command(as_json: bool) -> None:
    """List quarantined messages, newest first, with the reason."""
    items = quarantine.list_quarantined(db.session, limit=10_000)
    if as_json:
        click.echo(json.dumps([i.as_dict() for i in items], ensure_ascii=False))
        return
    for i in items:
        click.echo(
            f"{i.id}\t{i.received_at:%Y-%m-%d %H:%M}\t{i.source}\t{i.sender}\t{i.subject}"
            f"\t{i.reason}"
        )
    click.echo(f"{len(items)} quarantined")


def _quarantined(item_id: int) -> Any:
    try:
        return quarantine.get(db.session, item_id)
    except quarantine.QuarantineError as exc:
        raise click.ClickException(str(exc)) from None


@quarantine_cli.command("save")
@click.argument("item_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def quarantine_save_command(item_id: int, path: Path) -> None:
    """Write a quarantined message, as received, to PATH (.eml)."""
    item = _quarantined(item_id)
    path.write_bytes(item.raw)
    click.echo(f"wrote {len(item.raw)} bytes to {path}")


@quarantine_cli.command("discard")
@click.argument("item_id", type=int)
@with_appcontext
def quarantine_discard_command(item_id: int) -> None:
    """Delete a quarantined message for good."""
    _quarantined(item_id)
    quarantine.discard(db.session, item_id)
    db.session.commit()
    click.echo(f"discarded quarantined message {item_id}")


@quarantine_cli.command("retry")
@click.argument("item_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def quarantine_retry_command(item_id: int, as_json: bool) -> None:
    """Receive a quarantined message again; it leaves the quarantine once recorded."""
    try:
        outcome = quarantine.retry(db.session, item_id)
    except quarantine.QuarantineError as exc:
        db.session.commit()  # the new reason
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    item = outcome.as_dict()
    click.echo(json.dumps(item, ensure_ascii=False) if as_json else _describe(item))


@click.group("followups")
def followups_cli() -> None:
    """Reminders to candidates that have not answered."""


@followups_cli.command("due")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def due_command(as_json: bool) -> None:
    """List the candidates a follow-up is due for."""
    due = followups.due_followups(db.session, utcnow())
    if as_json:
        click.echo(json.dumps([d.as_dict() for d in due], ensure_ascii=False))
        return
    for d in due:
        click.echo(
            f"{d.municipality_id}\t{d.name} ({d.country})\t{d.letter}\t"
            f"waiting {d.days_waiting} days\t{d.followups_sent} follow-up(s) sent"
        )
    click.echo(f"{len(due)} follow-up(s) due")


@followups_cli.command("send")
@click.option("--yes", is_flag=True, help="Create and queue the batch; without it, only list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def send_command(yes: bool, as_json: bool) -> None:
    """Queue a batch of follow-up letters for every candidate due."""
    if not yes:
        due = followups.due_followups(db.session, utcnow())
        click.echo(f"{len(due)} follow-up(s) due; run again with --yes to send them")
        return
    try:
        result = jobs.send_followups(user_id=None)
    except (BatchError, RenderError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(
            json.dumps(
                {"batch_id": result.batch_id, "letters": result.letters, "created": result.created}
            )
        )
    elif result.batch_id is None:
        click.echo("no follow-ups due")
    else:
        click.echo(f"batch {result.batch_id}: {result.letters} follow-up(s) queued")
