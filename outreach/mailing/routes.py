"""Batch pages: choose and confirm, the list, one batch with its live progress."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from outreach.auth.decorators import role_required
from outreach.auth.models import Role, User
from outreach.extensions import db
from outreach.letters import kinds
from outreach.letters.render import RenderError
from outreach.mailing import batches, outbox, queueing
from outreach.mailing.forms import ActionForm, ChooseForm, ConfirmForm
from outreach.mailing.models import STATUS_LABELS, Batch, Letter, LetterStatus

bp = Blueprint("mailing", __name__)

#: Letters listed on a batch page because someone has to act on them.
ATTENTION = (LetterStatus.FAILED.value, LetterStatus.UNKNOWN.value)


def _status(batch: Batch) -> dict[str, Any]:
    counts = batches.counts(db.session, batch.id)
    total = sum(counts.values())
    waiting = sum(counts[s] for s in ("queued", "sending", "retry_wait"))
    return {
        "batch_id": batch.id,
        "status": batch.status,
        "counts": counts,
        "labels": {s.value: str(STATUS_LABELS[s]) for s in LetterStatus},
        "total": total,
        "done": waiting == 0,
    }


@bp.route("/batches", endpoint="batches")
@role_required(Role.VIEWER)
def batches_list() -> str:
    rows = db.session.scalars(select(Batch).order_by(Batch.id.desc()).limit(200)).all()
    per_batch: dict[int, dict[str, int]] = {}
    if rows:
        for batch_id, status, count in db.session.execute(
            select(Letter.batch_id, Letter.status, func.count(Letter.id))
            .where(Letter.batch_id.in_([b.id for b in rows]))
            .group_by(Letter.batch_id, Letter.status)
        ):
            per_batch.setdefault(batch_id, {})[status] = count
    return render_template("mailing/batches.html", batches=rows, per_batch=per_batch)


@bp.route("/batches/new")
@role_required(Role.COORDINATOR)
def new_batch() -> str:
    form = ChooseForm(request.args)
    owners = [(str(u.id), u.display_name) for u in db.session.scalars(select(User))]
    form.setup(owners)
    summary = confirm = None
    if request.args.get("letter") and form.validate():
        try:
            filters = form.filters()
            summary = batches.preview(db.session, form.kind(), filters, resend=form.resend.data)
            confirm = ConfirmForm(
                formdata=None,
                letter=form.letter.data,
                filters=json.dumps(filters),
                resend="1" if form.resend.data else "",
                token=uuid.uuid4().hex,
            )
        except (batches.BatchError, RenderError) as exc:
            field = str(exc).split(":", 1)[0]
            target = getattr(form, field, None)
            if target is not None and hasattr(target, "errors"):
                target.errors = [*target.errors, str(exc).split(":", 1)[-1].strip()]
            else:
                flash(str(exc), "error")
    return render_template(
        "mailing/new.html", form=form, summary=summary, confirm=confirm, reasons=batches.REASONS
    )


@bp.route("/batches", methods=["POST"])
@role_required(Role.COORDINATOR)
def create_batch() -> Response:
    form = ConfirmForm()
    if not form.validate():
        flash(_("The confirmation was incomplete; please review the batch again."), "error")
        return redirect(url_for("mailing.new_batch"))
    try:
        filters = json.loads(form.filters.data)
        done = queueing.confirm(
            db.session,
            kinds.parse(form.letter.data),
            filters,
            resend=bool(form.resend.data),
            user_id=current_user.id,
            token=form.token.data,
        )
    except (ValueError, batches.BatchError, RenderError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("mailing.new_batch"))
    if not done.created:
        flash(_("This batch was already created."), "warning")
    elif not done.queued:
        flash(_("The batch is recorded; sending will start when the queue is back."), "warning")
    else:
        flash(_("%(n)d letters are on their way.", n=done.letters), "success")
    return redirect(url_for("mailing.batch", batch_id=done.batch.id))


def _batch_or_404(batch_id: int) -> Batch:
    return db.get_or_404(Batch, batch_id)


@bp.route("/batches/<int:batch_id>")
@role_required(Role.VIEWER)
def batch(batch_id: int) -> str:
    item = _batch_or_404(batch_id)
    attention = db.session.scalars(
        select(Letter)
        .where(Letter.batch_id == item.id, Letter.status.in_(ATTENTION))
        .order_by(Letter.id)
    ).all()
    resent = set(
        db.session.scalars(
            select(Letter.resent_from_id).where(
                Letter.resent_from_id.in_([x.id for x in attention])
            )
        )
    )
    return render_template(
        "mailing/batch.html",
        batch=item,
        status=_status(item),
        attention=attention,
        resent=resent,
        action=ActionForm(),
    )


@bp.route("/batches/<int:batch_id>/status.json")
@role_required(Role.VIEWER)
def batch_status(batch_id: int) -> Response:
    return jsonify(_status(_batch_or_404(batch_id)))


@bp.route("/batches/<int:batch_id>/cancel", methods=["POST"])
@role_required(Role.COORDINATOR)
def cancel(batch_id: int) -> Response:
    item = _batch_or_404(batch_id)
    if ActionForm().validate():
        count = outbox.cancel_batch(db.session, item, user_id=current_user.id)
        db.session.commit()
        flash(_("%(n)d letters cancelled.", n=count), "success")
    return redirect(url_for("mailing.batch", batch_id=item.id))


@bp.route("/letters/<int:letter_id>/<any(retry, sent, resend):action>", methods=["POST"])
@role_required(Role.COORDINATOR)
def letter_action(letter_id: int, action: str) -> Response:
    letter = db.get_or_404(Letter, letter_id)
    if not ActionForm().validate():
        abort(400)
    queue_ids: list[int] = []
    try:
        if action == "retry":
            outbox.retry_failed(db.session, letter, user_id=current_user.id)
            queue_ids = [letter.id]
            message = _("Letter %(id)s is queued again.", id=letter.id)
        elif action == "sent":
            outbox.mark_sent(db.session, letter, user_id=current_user.id)
            message = _("Letter %(id)s is marked as sent.", id=letter.id)
        else:
            copy = outbox.resend(db.session, letter, user_id=current_user.id)
            queue_ids = [copy.id]
            message = _("Letter %(id)s is resent as letter %(copy)s.", id=letter.id, copy=copy.id)
        db.session.commit()
    except outbox.OutboxError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("mailing.batch", batch_id=letter.batch_id))
    if queue_ids and not queueing.hand_over(db.session, queue_ids):
        message += " " + _("Sending will start when the queue is back.")
    flash(message, "success")
    return redirect(url_for("mailing.batch", batch_id=letter.batch_id))
