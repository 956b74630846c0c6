from __future__ import annotations

from flask import Blueprint, render_template

from outreach.auth.decorators import role_required
from outreach.auth.models import Role

bp = Blueprint("pipeline", __name__)


@bp.route("/board")
@role_required(Role.VIEWER)
def board() -> str:
    return render_template("pipeline/board.html")


@bp.route("/candidates")
@role_required(Role.VIEWER)
def candidates() -> str:
    return render_template("pipeline/candidates.html")
