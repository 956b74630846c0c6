"""Reply pages: the inbox, one reply, assigning, logging by hand, uploads, replying to a caught
letter, and follow-ups (due list, sending, settings). Thin: each view calls one service."""

from __future__ import annotations

from datetime import UTC, datetime, time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid, parseaddr

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from outreach.auth.decorators import role_required
from outreach.auth.models import Role
from outreach.catcher.models import CaughtMessage
from outreach.clock import utcnow
from outreach.extensions import db
from outreach.letters import kinds
from outreach.letters.render import RenderError
from outreach.mailing.batches import BatchError
from outreach.pipeline.models import Municipality
from outreach.pipeline.stages import Stage
from outreach.replies import followups, jobs, quarantine, services
from outreach.replies.forms import (
    AssignForm,
    CatcherReplyForm,
    FollowUpSettingsForm,
    ManualReplyForm,
    UploadForm,
)
from outreach.replies.models import CHANNEL_LABELS, QuarantinedMessage, Reply, ReplySource
from outreach.replies.parse import ParseError, normalize_message_id

bp = Blueprint("replies", __name__)

#: Largest saved message accepted by the upload form.
MAX_EML = 15 * 1024 * 1024


def _candidate_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Municipality.id, Municipality.name, Municipality.country)
        .where(Municipality.stage.not_in((Stage.SIGNED.value, Stage.DECLINED.value)))
        .order_by(Municipality.name)
    )
    return [(i, f"{name} ({country})") for i, name, country in rows]


def _flash_outcome(outcome: services.Outcome) -> None:
    if outcome.duplicate:
        flash(_("This message was already recorded."), "warning")
    elif outcome.reply.municipality_id is None:
        flash(_("The reply matches no candidate: assign it below."), "warning")
    else:
        flash(_("Reply recorded: %(effect)s", effect=outcome.reply.effect_label), "success")


@bp.route("/replies")
@role_required(Role.VIEWER)
def inbox() -> str:
    unmatched = request.args.get("unmatched") == "1"
    replies = services.list_replies(db.session, unmatched=unmatched)
    form = AssignForm()
    form.candidate.choices = _candidate_choices()
    waiting = len(services.list_replies(db.session, unmatched=True, limit=1000))
    bounced_ids = services.needs_new_address_ids(db.session)
    needs_address = (
        db.session.scalars(
            select(Municipality).where(Municipality.id.in_(bounced_ids)).order_by(Municipality.name)
        ).all()
        if bounced_ids
        else []
    )
    return render_template(
        "replies/inbox.html",
        needs_address=needs_address,
        replies=replies,
        unmatched=unmatched,
        waiting=waiting,
        quarantined=quarantine.count(db.session),
        assign_form=form,
        upload_form=UploadForm(),
    )


def _show_page(reply: Reply, form: AssignForm) -> str:
    return render_template(
        "replies/show.html", reply=reply, assign_form=form, channel_labels=CHANNEL_LABELS
    )


@bp.route("/replies/<int:reply_id>")
@role_required(Role.VIEWER)
def show(reply_id: int) -> str:
    reply = db.get_or_404(Reply, reply_id)
    form = AssignForm()
    form.candidate.choices = _candidate_choices()
    return _show_page(reply, form)


@bp.route("/replies/<int:reply_id>/assign", methods=["POST"])
@role_required(Role.COORDINATOR)
def assign(reply_id: int) -> Response | tuple[str, int]:
    reply = db.get_or_404(Reply, reply_id)
    form = AssignForm()
    form.candidate.choices = _candidate_choices()
    if not form.validate():
        return _show_page(reply, form), 400
    try:
        outcome = services.assign(
            db.session, reply.id, form.candidate.data, user_id=current_user.id
        )
        db.session.commit()
    except services.ReplyError as exc:
        db.session.rollback()
        form.candidate.errors = [str(exc).split(": ", 1)[-1]]
        return _show_page(reply, form), 400
    flash(_("Reply assigned: %(effect)s", effect=outcome.reply.effect_label), "success")
    return redirect(url_for("replies.show", reply_id=reply.id))


def _read_upload(form: UploadForm) -> bytes | None:
    raw = form.message.data.read(MAX_EML + 1)
    if len(raw) > MAX_EML:
        form.message.errors = [_("The file is larger than 15 MB.")]
        return None
    return raw


def _receive_upload(form: UploadForm, candidate: Municipality | None) -> Response | None:
    """Record an uploaded .eml; on a candidate's page, an unmatched reply goes to that candidate."""
    raw = _read_upload(form)
    if raw is None:
        return None
    try:
        done = quarantine.intake(db.session, raw, source=ReplySource.EML.value, unreadable=False)
        if isinstance(done, quarantine.Quarantined):
            db.session.commit()
            flash(
                _(
                    "The message cannot be stored and was quarantined: %(reason)s",
                    reason=done.item.reason,
                ),
                "error",
            )
            return redirect(url_for("replies.quarantined"))
        outcome = done
        if candidate is not None and outcome.reply.municipality_id is None:
            outcome = services.assign(
                db.session, outcome.reply.id, candidate.id, user_id=current_user.id
            )
        db.session.commit()
    except ParseError as exc:
        db.session.rollback()
        form.message.errors = [
            _("%(file)s: %(reason)s", file=form.message.data.filename, reason=exc)
        ]
        return None
    if candidate is not None and outcome.reply.municipality_id not in (None, candidate.id):
        flash(
            _("This reply answers a letter to another candidate and was recorded there."),
            "warning",
        )
    _flash_outcome(outcome)
    return redirect(url_for("replies.show", reply_id=outcome.reply.id))


@bp.route("/replies/upload", methods=["POST"])
@role_required(Role.COORDINATOR)
def upload() -> Response | tuple[str, int]:
    form = UploadForm()
    if form.validate():
        done = _receive_upload(form, None)
        if done is not None:
            return done
    return render_template(
        "replies/new.html", candidate=None, manual_form=None, upload_form=form
    ), 400


@bp.route("/candidates/<int:candidate_id>/replies/upload", methods=["POST"])
@role_required(Role.COORDINATOR)
def candidate_upload(candidate_id: int) -> Response | tuple[str, int]:
    candidate = db.get_or_404(Municipality, candidate_id)
    form = UploadForm()
    if form.validate():
        done = _receive_upload(form, candidate)
        if done is not None:
            return done
    return _new_page(candidate, upload_form=form), 400


def _new_page(
    candidate: Municipality | None,
    *,
    manual_form: ManualReplyForm | None = None,
    upload_form: UploadForm | None = None,
) -> str:
    if manual_form is None and candidate is not None:
        manual_form = ManualReplyForm(formdata=None, received_on=utcnow().date())
    return render_template(
        "replies/new.html",
        candidate=candidate,
        manual_form=manual_form,
        upload_form=upload_form or UploadForm(formdata=None),
        choices=_candidate_choices() if candidate is None else [],
    )


@bp.route("/replies/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def new() -> str | Response | tuple[str, int]:
    """Log a reply that came by post, phone or a meeting, or upload a saved message."""
    arg = request.args.get("candidate", "")
    candidate = db.session.get(Municipality, int(arg)) if arg.isdigit() else None
    if arg and candidate is None:
        abort(404)
    if request.method == "GET":
        return _new_page(candidate)
    if candidate is None:
        abort(400)
    form = ManualReplyForm()
    if not form.validate():
        return _new_page(candidate, manual_form=form), 400
    try:
        outcome = services.log_manual(
            db.session,
            candidate.id,
            received_at=datetime.combine(form.received_on.data, time(12, 0)),
            channel=form.channel.data,
            note=form.note.data,
            user_id=current_user.id,
        )
        db.session.commit()
    except services.ReplyError as exc:
        db.session.rollback()
        form.note.errors = [str(exc).split(": ", 1)[-1]]
        return _new_page(candidate, manual_form=form), 400
    _flash_outcome(outcome)
    return redirect(url_for("replies.show", reply_id=outcome.reply.id))


# --- quarantine ------------------------------------------------------------------------------


@bp.route("/replies/quarantine")
@role_required(Role.COORDINATOR)
def quarantined() -> str:
    """Messages that could not be read or stored, with the reason."""
    return render_template(
        "replies/quarantine.html",
        items=quarantine.list_quarantined(db.session),
        waiting=len(services.list_replies(db.session, unmatched=True, limit=1000)),
        quarantined=quarantine.count(db.session),
    )


@bp.route("/replies/quarantine/<int:item_id>.eml")
@role_required(Role.COORDINATOR)
def quarantined_raw(item_id: int) -> Response:
    """The quarantined message as received, to open in a mail program."""
    item = db.get_or_404(QuarantinedMessage, item_id)
    response = make_response(item.raw)
    response.headers["Content-Type"] = "message/rfc822"
    response.headers["Content-Disposition"] = f'attachment; filename="quarantined-{item.id}.eml"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/replies/quarantine/<int:item_id>/discard", methods=["POST"])
@role_required(Role.COORDINATOR)
def quarantined_discard(item_id: int) -> Response:
    db.get_or_404(QuarantinedMessage, item_id)
    quarantine.discard(db.session, item_id)
    db.session.commit()
    flash(_("The quarantined message was discarded."), "success")
    return redirect(url_for("replies.quarantined"))


@bp.route("/replies/quarantine/<int:item_id>/retry", methods=["POST"])
@role_required(Role.COORDINATOR)
def quarantined_retry(item_id: int) -> Response:
    db.get_or_404(QuarantinedMessage, item_id)
    try:
        outcome = quarantine.retry(db.session, item_id)
    except quarantine.QuarantineError as exc:
        db.session.commit()  # the new reason
        flash(_("Still quarantined: %(reason)s", reason=str(exc).split(": ", 1)[-1]), "error")
        return redirect(url_for("replies.quarantined"))
    db.session.commit()
    _flash_outcome(outcome)
    return redirect(url_for("replies.show", reply_id=outcome.reply.id))


# --- replying to a letter caught by the built-in mail catcher --------------------------------


def _caught(caught_id: int) -> CaughtMessage:
    return db.get_or_404(CaughtMessage, caught_id)


def _caught_headers(caught: CaughtMessage) -> tuple[str, str, str]:
    """(Message-ID, sender address of the letter, its recipient) of a caught message."""
    msg = BytesParser(policy=policy.default).parsebytes(caught.raw, headersonly=True)
    message_id = normalize_message_id(str(msg.get("Message-ID") or caught.message_id or ""))
    office = parseaddr(str(msg.get("Reply-To") or msg.get("From") or caught.mail_from))[1]
    recipient = caught.recipients[0] if caught.recipients else parseaddr(str(msg.get("To")))[1]
    return message_id, office, recipient


def build_reply(
    *, in_reply_to: str, to: str, sender: str, subject: str, text: str, automatic: bool = False
) -> bytes:
    """A reply message as a council's mail program would write it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow().replace(tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "reply.invalid")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    if automatic:
        msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(text)
    return msg.as_bytes()


@bp.route("/replies/from-catcher/<int:caught_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def from_catcher(caught_id: int) -> str | Response | tuple[str, int]:
    """Write the council's answer to a letter the mail catcher caught, and receive it."""
    caught = _caught(caught_id)
    message_id, office, recipient = _caught_headers(caught)
    subject = caught.subject or ""
    form = CatcherReplyForm(
        sender=recipient,
        subject=subject if subject.lower().startswith("re:") else f"Re: {subject}",
        text=_("Thank you for your letter. We would be glad to discuss a partnership."),
    )
    if request.method == "GET" or not form.validate():
        status = 400 if request.method == "POST" else 200
        return render_template("replies/from_catcher.html", caught=caught, form=form), status
    raw = build_reply(
        in_reply_to=message_id,
        to=office or current_app.config.get("MAIL_DEFAULT_SENDER", ""),
        sender=form.sender.data,
        subject=form.subject.data,
        text=form.text.data,
        automatic=form.automatic.data,
    )
    outcome = services.receive(db.session, raw, source=ReplySource.CATCHER.value)
    db.session.commit()
    _flash_outcome(outcome)
    return redirect(url_for("replies.show", reply_id=outcome.reply.id))


# --- follow-ups -------------------------------------------------------------------------------


@bp.route("/followups")
@role_required(Role.VIEWER)
def followups_page() -> str:
    due = followups.due_followups(db.session, utcnow())
    forms = {
        s.letter: FollowUpSettingsForm(
            formdata=None,
            prefix=s.letter,
            days=s.days,
            max_per_candidate=s.max_per_candidate,
            automatic=s.automatic,
        )
        for s in followups.all_settings(db.session)
    }
    return render_template("replies/followups.html", due=due, forms=forms)


@bp.route("/followups/send", methods=["POST"])
@role_required(Role.COORDINATOR)
def followups_send() -> Response:
    try:
        result = jobs.send_followups(user_id=current_user.id)
    except (BatchError, RenderError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("replies.followups_page"))
    if result.batch_id is None:
        flash(_("No follow-ups are due."), "warning")
        return redirect(url_for("replies.followups_page"))
    flash(_("%(num)d follow-up(s) queued.", num=result.letters), "success")
    return redirect(url_for("mailing.batch", batch_id=result.batch_id))


@bp.route("/followups/settings/<letter>", methods=["POST"])
@role_required(Role.ADMIN)
def followups_settings(letter: str) -> str | Response | tuple[str, int]:
    try:
        kind = kinds.parse(letter)
    except ValueError:
        abort(404)
    if not kind.earns_follow_ups:
        abort(404)
    form = FollowUpSettingsForm(prefix=letter)
    if not form.validate():
        forms = {
            s.letter: FollowUpSettingsForm(formdata=None, prefix=s.letter, obj=s)
            for s in followups.all_settings(db.session)
        }
        forms[letter] = form
        due = followups.due_followups(db.session, utcnow())
        return render_template("replies/followups.html", due=due, forms=forms), 400
    followups.save_settings(
        db.session,
        kind,
        days=form.days.data,
        max_per_candidate=form.max_per_candidate.data,
        automatic=form.automatic.data,
    )
    db.session.commit()
    flash(_("Follow-up settings saved."), "success")
    return redirect(url_for("replies.followups_page"))
