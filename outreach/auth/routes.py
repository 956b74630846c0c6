from __future__ import annotations

import math

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from outreach.auth import services, throttle
from outreach.auth.decorators import role_required
from outreach.auth.forms import LoginForm, UserForm
from outreach.auth.models import Role, User
from outreach.extensions import db
from outreach.locales import INTERFACE_LANGUAGES
from outreach.redirects import safe_target

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int, dict[str, str]]:
    form = LoginForm()
    if form.validate_on_submit():
        email, address = form.email.data or "", request.remote_addr or ""
        wait = throttle.wait_seconds(email, address)
        if not wait:
            user = services.authenticate(db.session, email, form.password.data or "")
            if user is not None:
                throttle.record_success(email)
                login_user(user)
                return redirect(safe_target(request.args.get("next"), url_for("pipeline.board")))
            wait = throttle.record_failure(email, address)
            if not wait:
                flash(_("Wrong email or password."), "error")
        if wait:
            minutes = math.ceil(wait / 60)
            flash(
                ngettext(
                    "Too many failed attempts. Try again in %(num)d minute.",
                    "Too many failed attempts. Try again in %(num)d minutes.",
                    minutes,
                ),
                "error",
            )
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": str(wait)}
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """Log out, ending the session on the server: a copy of the cookie is worthless now."""
    services.end_sessions(db.session, current_user._get_current_object())
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/locale/<code>", methods=["POST"])
def set_locale(code: str) -> Response:
    if code not in INTERFACE_LANGUAGES:
        abort(400)
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(safe_target(request.form.get("next"), url_for("pipeline.board")))


@bp.route("/users", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def users() -> str | Response:
    form = UserForm()
    if form.validate_on_submit():
        try:
            services.create_user(
                db.session,
                form.email.data or "",
                form.password.data or "",
                form.role.data or "viewer",
                name=form.name.data or "",
            )
        except services.UserError as exc:
            field, _sep, message = str(exc).partition(": ")
            getattr(form, field, form.email).errors.append(message)
        else:
            db.session.commit()
            flash(_("User created."), "success")
            return redirect(url_for("auth.users"))
    people = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("auth/users.html", form=form, users=people)
