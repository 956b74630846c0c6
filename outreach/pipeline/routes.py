"""Pipeline pages: the board, the candidate list, a candidate's page and its forms."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from outreach.auth.decorators import role_required
from outreach.auth.models import Role
from outreach.clock import utcnow
from outreach.extensions import db
from outreach.pipeline import marks, queries, services, stages
from outreach.pipeline.errors import EditConflict, MoveConflict
from outreach.pipeline.forms import (
    CONTACT_ERROR_FIELDS,
    CandidateForm,
    ContactForm,
    FilterForm,
    MoveForm,
    NoteForm,
)
from outreach.pipeline.models import Contact, Municipality
from outreach.pipeline.timeline import timeline
from outreach.redirects import safe_target

bp = Blueprint("pipeline", __name__)

#: Query-string keys of the filters, kept on every board/list link.
FILTER_KEYS = ("q", "stage", "country", "language", "theme", "owner", "waiting", "only")


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


@bp.errorhandler(HTTPException)
def _json_errors(exc: HTTPException) -> Any:
    """Scripts asking for JSON get JSON errors; pages get the site's error page."""
    if wants_json():
        return jsonify(ok=False, error=exc.description or exc.name), exc.code or 500
    return render_template("error.html", error=exc), exc.code or 500


def _filter_form() -> tuple[FilterForm, queries.Filters]:
    form = FilterForm(formdata=request.args)
    form.fill_choices(queries.owners(db.session), queries.countries_in_use(db.session))
    form.validate()
    owner = form.owner.data or ""
    filters = queries.Filters(
        q=(form.q.data or "").strip()[:200],
        stage=form.stage.data if form.stage.data in {s.value for s in stages.ORDER} else "",
        country=(form.country.data or "").strip()[:2],
        language=(form.language.data or "").strip()[:10],
        theme=(form.theme.data or "").strip()[:50],
        owner_id=int(owner) if owner.isdigit() else None,
        waiting_days=form.waiting.data if not form.waiting.errors else None,
    )
    only = form.only.data or ""
    ids = marks.ids_in_set(db.session, only, utcnow()) if only else None
    if ids is not None:
        filters.only, filters.only_ids = only, frozenset(ids)
    return form, filters


def _filter_args() -> dict[str, str]:
    return {k: v for k in FILTER_KEYS if (v := request.args.get(k, "").strip())}


@bp.route("/board")
@role_required(Role.VIEWER)
def board() -> str:
    form, filters = _filter_form()
    steps = request.args.getlist("more")[: queries.COLUMN_MAX // queries.COLUMN_SIZE]
    more: dict[str, int] = {}
    for stage in steps:
        more[stage] = more.get(stage, 0) + 1
    data = queries.board(db.session, filters, more)
    shown = [m.id for column in data.columns for m in column.cards]
    return render_template(
        "pipeline/board.html",
        board=data,
        marks=marks.marks_for(db.session, shown, data.now),
        form=form,
        filters=filters,
        filter_args=_filter_args(),
        more=steps,
        targets={
            source.value: tuple(t.value for t in stages.ORDER if stages.can_move(source, t))
            for source in stages.ORDER
        },
        labels={s.value: str(label) for s, label in stages.LABELS.items()},
        days_label=_days_label(),
    )


def _days_label() -> Any:
    """``n days`` in the user's language, translated once per distinct ``n``."""
    cache: dict[int, str] = {}

    def label(days: int) -> str:
        if days not in cache:
            cache[days] = ngettext("%(num)d day", "%(num)d days", days)
        return cache[days]

    return label


@bp.route("/candidates")
@role_required(Role.VIEWER)
def candidates() -> str:
    form, filters = _filter_form()
    sort = request.args.get("sort", "name")
    if sort not in queries.SORTS:
        sort = "name"
    descending = request.args.get("dir") == "desc"
    page_arg = request.args.get("page", "1")
    page = queries.candidate_page(
        db.session,
        filters,
        sort=sort,
        descending=descending,
        page=int(page_arg) if page_arg.isdigit() else 1,
    )
    now = utcnow()
    return render_template(
        "pipeline/candidates.html",
        page=page,
        marks=marks.marks_for(db.session, [m.id for m in page.items], now),
        form=form,
        filters=filters,
        filter_args=_filter_args(),
        sort=sort,
        descending=descending,
        now=now,
    )


def _get_candidate(candidate_id: int) -> Municipality:
    municipality = queries.candidate(db.session, candidate_id)
    if municipality is None:
        abort(404)
    return municipality


def _put_errors(form: Any, errors: dict[str, str], aliases: dict[str, str] | None = None) -> None:
    """Show each service error under its form field (or at the top when it has none)."""
    for key, message in errors.items():
        name = (aliases or {}).get(key, key)
        target = getattr(form, name, None)
        if target is None or not hasattr(target, "errors"):
            flash(f"{key}: {message}", "error")
            continue
        target.errors = [*target.errors, message]


def linked_errors(exc: services.Invalid) -> dict[str, Any]:
    """The errors of ``exc``; a duplicate's message links to the candidate that exists."""
    if not isinstance(exc, services.Duplicate):
        return exc.errors
    url = url_for("pipeline.candidate", candidate_id=exc.existing_id)
    return {
        key: Markup('{} <a href="{}">{}</a>').format(message, url, _("Open it"))
        for key, message in exc.errors.items()
    }


@bp.route("/candidates/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def new_candidate() -> str | Response:
    form = CandidateForm()
    form.fill_choices(queries.owners(db.session))
    if request.method == "GET":
        form.owner_id.data = str(current_user.id)
        form.source.data = "manual"
    if form.validate_on_submit():
        try:
            municipality = services.create_candidate(
                db.session, form.values(), user_id=current_user.id
            )
        except services.Invalid as exc:
            db.session.rollback()
            _put_errors(form, linked_errors(exc))
        else:
            db.session.commit()
            flash(_("%(name)s added.", name=municipality.name), "success")
            return redirect(url_for("pipeline.candidate", candidate_id=municipality.id))
    return render_template("pipeline/candidate_form.html", form=form, municipality=None)


@bp.route("/candidates/<int:candidate_id>")
@role_required(Role.VIEWER)
def candidate(candidate_id: int) -> str:
    municipality = _get_candidate(candidate_id)
    now = utcnow()
    return render_template(
        "pipeline/candidate.html",
        m=municipality,
        events=timeline(db.session, municipality.id),
        audit=queries.audit_trail(db.session, municipality.id),
        note_form=NoteForm(),
        transitions=stages.TRANSITIONS,
        now=now,
        marks=marks.marks_for(db.session, [municipality.id], now).get(municipality.id, []),
        links=marks.links_for(municipality.id),
    )


def _profile_form(municipality: Municipality, formdata: Any = None) -> CandidateForm:
    """The edit form: filled from the saved profile (``formdata`` None) or from the request."""
    if formdata is None:
        form = CandidateForm(formdata=None, obj=municipality)
        form.languages.data = ";".join(municipality.languages)
        form.owner_id.data = str(municipality.owner_id or "")
        form.population.data = "" if municipality.population is None else municipality.population
        form.version.data = str(municipality.version)
    else:
        form = CandidateForm()
    form.fill_choices(queries.owners(db.session))
    return form


@bp.route("/candidates/<int:candidate_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def edit_candidate(candidate_id: int) -> str | Response | tuple[str, int]:
    municipality = _get_candidate(candidate_id)
    form = _profile_form(municipality, None if request.method == "GET" else request.form)
    if form.validate_on_submit():
        try:
            changes = services.update_candidate(
                db.session,
                municipality,
                form.values(),
                user_id=current_user.id,
                expected_version=form.seen_version(),
            )
        except services.Invalid as exc:
            db.session.rollback()
            _put_errors(form, exc.errors)
        except EditConflict as exc:
            # Someone saved first: show the saved profile, so saving again keeps their work.
            db.session.rollback()
            flash(str(exc), "error")
            municipality = _get_candidate(candidate_id)
            page = render_template(
                "pipeline/candidate_form.html",
                form=_profile_form(municipality),
                municipality=municipality,
                unsaved=_unsaved(form, municipality),
            )
            return page, 409
        else:
            db.session.commit()
            if changes:
                flash(_("Changes saved."), "success")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(url_for("pipeline.candidate", candidate_id=municipality.id))
    return render_template("pipeline/candidate_form.html", form=form, municipality=municipality)


def _unsaved(submitted: CandidateForm, municipality: Municipality) -> list[tuple[str, str]]:
    """The submitted values that differ from the saved profile, as ``(label, value)``."""
    saved = _profile_form(municipality)
    return [
        (str(submitted[name].label.text), _shown(submitted[name]))
        for name in services.CANDIDATE_FIELDS
        if name in submitted and _shown(submitted[name]) != _shown(saved[name])
    ]


def _shown(field: Any) -> str:
    """A form field's value as the person chose it: labels for choices, yes/no for a box."""
    value = field.data
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    labels = {str(k): str(v) for k, v in getattr(field, "choices", None) or []}
    if isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    text = "" if value is None else str(value)
    return labels.get(text, text) if text else ""


@bp.route("/candidates/<int:candidate_id>/move", methods=["POST"])
@role_required(Role.COORDINATOR)
def move(candidate_id: int) -> Any:
    """Move a candidate; answers JSON to scripts and redirects forms back with a message.

    The form carries the stage the page showed (``from_stage``); when someone else moved the
    candidate since, the answer is 409 with who moved it where and when."""
    municipality = _get_candidate(candidate_id)
    back = safe_target(request.form.get("next"), url_for("pipeline.board"))
    form = MoveForm()
    error, conflict = None, None
    if not form.validate():
        error = "; ".join(f"{form[k].label.text}: {' '.join(v)}" for k, v in form.errors.items())
    else:
        try:
            services.move(
                db.session,
                municipality,
                form.to_stage.data or "",
                user_id=current_user.id,
                note=form.note.data or "",
                reason=form.reason.data or "",
                agreement_date=form.agreement_date.data,
                seen_stage=form.from_stage.data,
            )
        except services.MoveError as exc:
            db.session.rollback()
            error = str(exc)
            conflict = exc if isinstance(exc, MoveConflict) else None
    if error:
        if wants_json():
            details: dict[str, Any] = {"stage": municipality.stage}
            if conflict is not None:
                details = {
                    "stage": conflict.stage,
                    "moved_by": conflict.by,
                    "moved_at": conflict.at.isoformat() if conflict.at else None,
                    "label": str(stages.LABELS[stages.Stage(conflict.stage)]),
                    "allowed": _allowed(conflict.stage),
                }
            return jsonify(ok=False, error=error, **details), 409
        flash(error, "error")
        return redirect(back)
    db.session.commit()
    label = str(stages.LABELS[stages.Stage(municipality.stage)])
    message = _("%(name)s moved to %(stage)s.", name=municipality.name, stage=label)
    if wants_json():
        return jsonify(
            ok=True,
            id=municipality.id,
            stage=municipality.stage,
            label=label,
            message=message,
            allowed=_allowed(municipality.stage),
        )
    flash(message, "success")
    return redirect(back)


def _allowed(stage: str) -> list[str]:
    return [s.value for s in stages.ORDER if stages.can_move(stage, s)]


@bp.route("/candidates/<int:candidate_id>/notes", methods=["POST"])
@role_required(Role.COORDINATOR)
def add_note(candidate_id: int) -> Response:
    municipality = _get_candidate(candidate_id)
    form = NoteForm()
    back = url_for("pipeline.candidate", candidate_id=municipality.id)
    if not form.validate_on_submit():
        flash(_("A note cannot be empty."), "error")
        return redirect(back)
    services.add_note(db.session, municipality, form.body.data or "", user_id=current_user.id)
    db.session.commit()
    flash(_("Note added."), "success")
    return redirect(back)


def _get_contact(municipality: Municipality, contact_id: int) -> Contact:
    contact = next((c for c in municipality.contacts if c.id == contact_id), None)
    if contact is None:
        abort(404)
    return contact


@bp.route("/candidates/<int:candidate_id>/contacts/new", methods=["GET", "POST"])
@bp.route("/candidates/<int:candidate_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def contact(candidate_id: int, contact_id: int | None = None) -> str | Response | tuple[str, int]:
    """Add a contact, or edit one (``contact_id``) at the version the form was filled from."""
    municipality = _get_candidate(candidate_id)
    existing = _get_contact(municipality, contact_id) if contact_id is not None else None
    form = _contact_form(municipality, existing, request.method == "GET")
    if form.validate_on_submit():
        try:
            if existing is None:
                services.add_contact(
                    db.session,
                    municipality,
                    form.values(),
                    user_id=current_user.id,
                    primary=bool(form.primary.data) or not municipality.contacts,
                )
            else:
                services.update_contact(
                    db.session,
                    existing,
                    form.values(),
                    user_id=current_user.id,
                    expected_version=form.seen_version(),
                )
                if form.primary.data:
                    services.make_primary_contact(db.session, existing, user_id=current_user.id)
        except services.Invalid as exc:
            db.session.rollback()
            _put_errors(form, exc.errors, CONTACT_ERROR_FIELDS)
        except EditConflict as exc:
            # Someone saved this contact first: show it as saved, so saving keeps their work.
            db.session.rollback()
            flash(str(exc), "error")
            municipality = _get_candidate(candidate_id)
            existing = _get_contact(municipality, contact_id or 0)
            page = render_template(
                "pipeline/contact_form.html",
                form=_contact_form(municipality, existing, True),
                m=municipality,
                contact=existing,
            )
            return page, 409
        else:
            db.session.commit()
            flash(_("Contact saved."), "success")
            return redirect(url_for("pipeline.candidate", candidate_id=municipality.id))
    return render_template(
        "pipeline/contact_form.html", form=form, m=municipality, contact=existing
    )


def _contact_form(municipality: Municipality, existing: Contact | None, saved: bool) -> ContactForm:
    """The contact form: filled from the saved contact (``saved``) or from the request."""
    if not saved:
        return ContactForm()
    form = ContactForm(formdata=None, obj=existing)
    form.primary.data = existing.is_primary if existing else not municipality.contacts
    form.version.data = str(existing.version) if existing else ""
    return form


@bp.route("/candidates/<int:candidate_id>/contacts/<int:contact_id>/primary", methods=["POST"])
@role_required(Role.COORDINATOR)
def make_primary(candidate_id: int, contact_id: int) -> Response:
    municipality = _get_candidate(candidate_id)
    services.make_primary_contact(
        db.session, _get_contact(municipality, contact_id), user_id=current_user.id
    )
    db.session.commit()
    flash(_("Primary contact changed."), "success")
    return redirect(url_for("pipeline.candidate", candidate_id=municipality.id))


@bp.app_template_global()
def board_url(args: dict[str, str], more: list[str] | None = None) -> str:
    """The board's address with the given filters and "show more" steps."""
    query = MultiDict(args)
    for stage in more or []:
        query.add("more", stage)
    values: dict[str, Any] = query.to_dict(flat=False)
    return url_for("pipeline.board", **values)
