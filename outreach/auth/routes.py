from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from outreach.auth import services
from outreach.auth.decorators import role_required
from outreach.auth.forms import LoginForm, UserForm
from outreach.auth.models import Role, User
from outreach.extensions import db, limiter
from outreach.locales import INTERFACE_LANGUAGES
from outreach.redirects import safe_target

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: limiter_login_limit(), methods=["POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return redirect(safe_target(request.args.get("next"), url_for("pipeline.board")))
        flash(_("Wrong email or password."), "error")
    return render_template("auth/login.html", form=form)


def limiter_login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
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
