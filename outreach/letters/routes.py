"""Pages: letter preview and test copies, the template editor, the office settings."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
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
from outreach.extensions import db
from outreach.letters import (
    context,
    kinds,
    languages,
    markup,
    office,
    phrases,
    services,
    sources,
    versions,
)
from outreach.letters.forms import NAME_LABELS, SettingsForm, TemplateForm
from outreach.letters.kinds import LetterKind
from outreach.letters.render import Renderer, RenderError
from outreach.locales import LANGUAGES, language_name
from outreach.pipeline.models import Municipality
from outreach.pipeline.services import Invalid
from outreach.pipeline.stages import Stage

bp = Blueprint("letters", __name__, url_prefix="/letters")

#: The CSP of a rendered letter shown in the preview frame: no scripts, no requests.
LETTER_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _letter_arg(value: str | None) -> LetterKind:
    try:
        return kinds.parse(value)
    except ValueError:
        return list(LetterKind)[0]


def _template_key(letter: str, language: str) -> tuple[LetterKind, str]:
    """Refuse anything but a known letter and a known language code (never a path)."""
    try:
        kind = kinds.parse(letter)
    except ValueError:
        abort(404)
    if not sources.is_language(language) or language not in LANGUAGES:
        abort(404)
    return kind, language


def _candidates() -> list[Municipality]:
    return list(db.session.scalars(select(Municipality).order_by(Municipality.name).limit(1000)))


def _render(letter: LetterKind, candidate_id: int | None, language: str | None) -> dict[str, Any]:
    """The rendered letter (or the error) for the preview page and the raw frame."""
    result: dict[str, Any] = {"rendered": None, "error": None, "candidate": None}
    if candidate_id is None:
        return result
    municipality = db.get_or_404(Municipality, candidate_id)
    result["candidate"] = municipality
    try:
        renderer = Renderer(db.session, letter, sample_first_letter=True)
        result["available"] = sorted(renderer.available)
        if language and language not in renderer.available:
            language = None
        result["rendered"] = renderer.render(municipality, language=language or None)
    except (RenderError, ValueError) as exc:
        result["error"] = str(exc)
    return result


@bp.route("/preview")
@role_required(Role.VIEWER)
def preview() -> str:
    letter = _letter_arg(request.args.get("letter"))
    candidate_id = request.args.get("candidate", type=int)
    language = request.args.get("language") or None
    result = _render(letter, candidate_id, language)
    # Who usually receives the letter, for the language summary.
    stage = request.args.get("stage") or letter.stages[0].value
    if stage not in {s.value for s in Stage}:
        stage = Stage.ANALYSED.value
    ids = list(db.session.scalars(select(Municipality.id).where(Municipality.stage == stage)))
    summary: dict[str, Any] | None = None
    summary_error = None
    try:
        summary = services.language_summary(db.session, ids, letter)
    except (RenderError, ValueError) as exc:
        summary_error = str(exc)
    return render_template(
        "letters/preview.html",
        letters=list(LetterKind),
        letter=letter,
        candidates=_candidates(),
        candidate_id=candidate_id,
        language=language,
        languages=result.get("available") or sorted(sources.languages(letter, db.session)),
        language_name=language_name,
        summary=summary,
        summary_error=summary_error,
        summary_stage=stage,
        stages=[s.value for s in Stage],
        **result,
    )


@bp.route("/preview/frame")
@role_required(Role.VIEWER)
def preview_frame() -> Response:
    """The rendered HTML letter alone, for the sandboxed preview frame."""
    letter = _letter_arg(request.args.get("letter"))
    result = _render(letter, request.args.get("candidate", type=int), request.args.get("language"))
    if result["rendered"] is None:
        abort(404)
    response = make_response(result["rendered"].html)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = LETTER_CSP + "; sandbox"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/preview/test", methods=["POST"])
@role_required(Role.COORDINATOR)
def send_test() -> Response:
    letter = _letter_arg(request.form.get("letter"))
    candidate_id = request.form.get("candidate", type=int)
    language = request.form.get("language") or None
    back = url_for("letters.preview", letter=letter, candidate=candidate_id, language=language)
    result = _render(letter, candidate_id, language)
    if result["rendered"] is None:
        flash(result["error"] or _("Pick a candidate first."), "error")
        return redirect(back)
    try:
        services.send_test_copy(result["rendered"], current_user.email)
    except services.SendError as exc:
        flash(str(exc), "error")
    else:
        flash(_("A test copy was sent to %(email)s.", email=current_user.email), "success")
    return redirect(back)


@bp.route("/templates")
@role_required(Role.ADMIN)
def templates() -> str:
    return render_template(
        "letters/templates.html",
        entries=services.template_table(db.session),
        language_name=language_name,
    )


@bp.route("/templates/<letter>/<language>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_template(letter: str, language: str) -> str | Response:
    letter, language = _template_key(letter, language)
    form = TemplateForm()
    candidates = _candidates()
    form.candidate.choices = [(str(m.id), f"{m.name} ({m.country})") for m in candidates]
    errors: list[str] = []
    trial: dict[str, Any] = {}
    previewing = request.method == "POST" and "preview" in request.form
    if previewing and form.validate_on_submit():
        trial = _trial(letter, language, form.source.data or "", form.candidate.data)
    elif form.validate_on_submit():
        try:
            row = versions.save_version(
                db.session,
                letter,
                language,
                form.source.data or "",
                current_user.id,
                note=form.note.data or "",
            )
        except versions.TemplateInvalid as exc:
            db.session.rollback()
            errors = exc.messages
        else:
            db.session.commit()
            flash(_("Saved as version %(n)d.", n=row.version), "success")
            return redirect(url_for("letters.edit_template", letter=letter, language=language))
    active = sources.active(db.session, letter, language)
    if request.method == "GET":
        form.source.data = active.text if active else _starter()
        wanted = request.args.get("candidate")
        form.candidate.data = wanted or _speaker(candidates, language)
    return render_template(
        "letters/edit.html",
        form=form,
        letter=letter,
        language=language,
        language_label=language_name(language),
        active=active,
        history=sources.history(db.session, letter, language),
        has_file=sources.file_source(letter, language) is not None,
        errors=errors,
        trial=trial,
        placeholders=context.PLACEHOLDERS,
        syntax=markup.SYNTAX,
    )


@bp.route("/templates/<letter>/<language>/preview", methods=["POST"])
@role_required(Role.ADMIN)
def preview_template(letter: str, language: str) -> Response:
    """The editor's live preview: the unsaved text rendered for a candidate, as JSON."""
    letter, language = _template_key(letter, language)
    form = TemplateForm()
    form.candidate.choices = [(form.candidate.data or "", "")]
    if not form.validate_on_submit():
        return jsonify({"errors": [_("The page has expired: reload it.")]})
    trial = _trial(letter, language, form.source.data or "", form.candidate.data)
    rendered = trial.get("rendered")
    if rendered is None:
        return jsonify({"errors": trial["errors"]})
    return jsonify(
        {
            "errors": [],
            "subject": rendered.subject,
            "text": rendered.text,
            "html": rendered.html,
            "reason": rendered.reason,
        }
    )


def _speaker(candidates: list[Municipality], language: str) -> str:
    """A candidate that speaks ``language``, for the first preview."""
    for m in candidates:
        if language in (m.languages or []):
            return str(m.id)
    return str(candidates[0].id) if candidates else ""


def _trial(letter: LetterKind, language: str, text: str, candidate: str | None) -> dict[str, Any]:
    """The unsaved text rendered for one candidate, or the problems found in it."""
    problems = versions.static_problems(versions.normalise(text))
    if problems:
        return {"errors": problems}
    municipality = db.session.get(Municipality, int(candidate)) if candidate else None
    if municipality is None:
        return {"errors": [_("Pick a candidate to preview the letter for.")]}
    renderer = Renderer(db.session, letter, sample_first_letter=True)
    renderer.use_source(sources.Source(letter, language, -1, None, versions.normalise(text)))
    try:
        rendered = renderer.render(municipality, language=language)
    except RenderError as exc:
        return {"errors": [str(exc)]}
    return {"rendered": rendered}


def _starter() -> str:
    return (
        "Subject: \n\n{{ place_date }}\n\n{{ contact.salutation }},\n\n\n"
        "{{ closing }}\n\n{{ signature }}\n"
    )


@bp.route("/templates/<letter>/<language>/restore/<int:version_id>", methods=["POST"])
@role_required(Role.ADMIN)
def restore(letter: str, language: str, version_id: int) -> Response:
    letter, language = _template_key(letter, language)
    old = sources.by_id(db.session, version_id)
    if old is None or (old.letter, old.language) != (letter, language):
        abort(404)
    _restore(lambda: versions.restore_version(db.session, version_id, current_user.id))
    return redirect(url_for("letters.edit_template", letter=letter, language=language))


@bp.route("/templates/<letter>/<language>/restore-file", methods=["POST"])
@role_required(Role.ADMIN)
def restore_file(letter: str, language: str) -> Response:
    letter, language = _template_key(letter, language)
    if sources.file_source(letter, language) is None:
        abort(404)
    _restore(lambda: versions.restore_file(db.session, letter, language, current_user.id))
    return redirect(url_for("letters.edit_template", letter=letter, language=language))


def _restore(action: Any) -> None:
    try:
        row = action()
    except versions.TemplateInvalid as exc:
        db.session.rollback()
        flash("; ".join(exc.messages), "error")
    else:
        db.session.commit()
        flash(_("Restored as version %(n)d.", n=row.version), "success")


@bp.route("/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def settings() -> str | Response:
    form = SettingsForm()
    saved = office.values(db.session)
    name_errors: dict[str, str] = {}
    if request.method == "GET":
        form.process(data=saved)
    elif form.validate_on_submit():
        data = {name: getattr(form, name).data for name in office.FIELDS if name != "names"}
        data["names"] = _posted_names()
        try:
            office.update(db.session, data)
        except Invalid as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                if hasattr(form, name):
                    getattr(form, name).errors.append(message)
                else:
                    name_errors[name] = message
        else:
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("letters.settings"))
    shown = dict(saved, names=_posted_names()) if request.method == "POST" else saved
    return render_template(
        "letters/settings.html",
        form=form,
        languages=_settings_languages(shown),
        name_fields=[(name, NAME_LABELS[name]) for name in office.NAME_FIELDS],
        name_errors=name_errors,
        language_name=language_name,
    )


def _posted_names() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for key, value in request.form.items():
        parts = key.split("-", 2)
        if len(parts) == 3 and parts[0] == "names" and value.strip():
            found.setdefault(parts[1], {})[parts[2]] = value.strip()
    return found


def _settings_languages(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Per shipped language: the saved names, their defaults and the signature block."""
    out = []
    for code in sorted({lang for _letter, lang in sources.shipped()}):
        if not languages.get(code).complete:
            continue
        names = office.localized(settings, code)
        try:
            office.check_names(settings, code)
            problem = ""
        except office.MissingName as exc:
            problem = str(exc)
        out.append(
            {
                "code": code,
                "saved": (settings.get("names") or {}).get(code) or {},
                "defaults": office.default_names(settings, code),
                "signature": phrases.signature(names),
                "problem": problem,
            }
        )
    return out
