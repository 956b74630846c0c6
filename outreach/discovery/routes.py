"""Pages of the partner finder: the search, adding results, a candidate's map."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from outreach.auth.decorators import role_required
from outreach.auth.models import Role
from outreach.discovery import adding, finder, gazetteer, maps, reasons
from outreach.discovery.forms import SearchForm
from outreach.extensions import db
from outreach.pipeline.models import Municipality

bp = Blueprint("discovery", __name__)


@bp.route("/discover")
@role_required(Role.VIEWER)
def discover() -> str:
    form = SearchForm(formdata=request.args)
    country = request.args.get("country", "").upper()
    countries = gazetteer.countries(db.session)
    form.fill_choices(
        countries, gazetteer.regions(db.session, country) if country in countries else []
    )
    found = finder.find(db.session, form.search()) if form.validate() else None
    return render_template(
        "discovery/discover.html",
        form=form,
        found=found,
        version=gazetteer.current(db.session),
        describe=reasons.describe,
        labels=reasons.factor_labels(),
        args=request.args.to_dict(),
    )


def _link(municipality_id: int, name: str) -> Markup:
    url = url_for("pipeline.candidate", candidate_id=municipality_id)
    return Markup('<a href="{}">{}</a>').format(url, name)


@bp.route("/discover/add", methods=["POST"])
@role_required(Role.COORDINATOR)
def add() -> Response:
    """Add the ticked towns as analysed candidates, then show the same search again."""
    search: dict[str, Any] = request.args.to_dict()
    back = url_for("discovery.discover", **search)
    ids = [int(value) for value in request.form.getlist("town") if value.isdigit()]
    if not ids:
        flash(_("Tick the towns to add first."), "error")
        return redirect(back)
    try:
        added = adding.add_towns(db.session, ids, user_id=current_user.id)
        db.session.commit()
    except adding.NotAdded as exc:
        db.session.rollback()
        flash(_("Nothing was added:"), "error")
        for problem in exc.problems:
            message = Markup.escape(problem.message)
            if problem.existing_id is not None:
                message = Markup("{} ({})").format(
                    message, _link(problem.existing_id, _("open it"))
                )
            flash(message, "error")
        return redirect(back)
    except IntegrityError:
        db.session.rollback()
        flash(_("Someone added one of these towns at the same moment; nothing was added."), "error")
        return redirect(back)
    links = Markup(", ").join(_link(m.id, m.name) for m in added)
    count = ngettext(
        "%(num)d town added as analysed:", "%(num)d towns added as analysed:", len(added)
    )
    flash(Markup("{} {}").format(count, links), "success")
    return redirect(back)


@bp.route("/candidates/<int:candidate_id>/map.svg")
@role_required(Role.VIEWER)
def candidate_map(candidate_id: int) -> Response:
    municipality = db.get_or_404(Municipality, candidate_id)
    if municipality.latitude is None or municipality.longitude is None:
        abort(404)
    response = Response(maps.candidate_map(db.session, municipality), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def candidate_place(municipality: Municipality) -> dict[str, Any] | None:
    """For the candidate's page: where it is and why it was suggested (None: neither known)."""
    suggestion = adding.suggestion_for(db.session, municipality.id)
    located = municipality.latitude is not None and municipality.longitude is not None
    if not located and suggestion is None:
        return None
    labels = reasons.factor_labels()
    return {
        "located": located,
        "latitude": municipality.latitude,
        "longitude": municipality.longitude,
        "map_url": url_for("discovery.candidate_map", candidate_id=municipality.id),
        "suggestion": suggestion,
        "reasons": [
            (labels.get(r["factor"], r["factor"]), reasons.describe(r, _locale()), r)
            for r in (suggestion.reasons if suggestion else [])
        ],
    }


def _locale() -> str:
    return str(get_locale() or "en")
