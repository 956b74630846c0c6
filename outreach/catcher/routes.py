from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import defer
from werkzeug.wrappers import Response as BaseResponse

from outreach.auth.decorators import role_required
from outreach.auth.models import Role
from outreach.catcher import services
from outreach.catcher.models import CaughtMessage
from outreach.extensions import db

bp = Blueprint("catcher", __name__, url_prefix="/catcher")

PER_PAGE = 50

#: The message page itself runs no inline script; the letter lives in a sandboxed frame.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'"
)


def _message(message_id: int) -> CaughtMessage:
    return db.get_or_404(CaughtMessage, message_id)


@bp.route("")
@role_required(Role.COORDINATOR)
def index() -> str:
    page = request.args.get("page", 1, type=int) or 1
    query = (
        select(CaughtMessage)
        .options(defer(CaughtMessage.raw))
        .order_by(CaughtMessage.received_at.desc(), CaughtMessage.id.desc())
    )
    pagination = db.paginate(query, page=max(page, 1), per_page=PER_PAGE, error_out=False)
    return render_template("catcher/index.html", pagination=pagination)


@bp.route("/<int:message_id>")
@role_required(Role.COORDINATOR)
def show(message_id: int) -> Response:
    message = _message(message_id)
    parts = services.view(message.raw)
    html = services.framed_html(parts.html) if parts.html is not None else None
    response = Response(
        render_template("catcher/show.html", message=message, parts=parts, framed_html=html),
        mimetype="text/html",
    )
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


@bp.route("/<int:message_id>.eml")
@role_required(Role.COORDINATOR)
def download(message_id: int) -> Response:
    message = _message(message_id)
    response = Response(message.raw, mimetype="message/rfc822")
    response.headers["Content-Disposition"] = f'attachment; filename="message-{message.id}.eml"'
    return response


@bp.route("/delete-all", methods=["POST"])
@role_required(Role.COORDINATOR)
def delete_all() -> BaseResponse:
    count = services.delete_all(db.session)
    db.session.commit()
    flash(
        ngettext("Deleted %(num)d message.", "Deleted %(num)d messages.", count)
        if count
        else _("There were no messages to delete."),
        "success",
    )
    return redirect(url_for("catcher.index"))
