"""Rendering letters: the language chain, the sandboxed templates, the caps.

The public API used by the mailing queue: :data:`LETTERS`, :class:`RenderedLetter`,
:class:`RenderError`, :func:`choose_language`, :class:`Renderer`, :func:`render_letter`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel import Locale
from babel.core import UnknownLocaleError
from babel.lists import format_list
from flask import current_app, has_app_context, has_request_context
from jinja2 import Template
from jinja2.exceptions import TemplateError
from markupsafe import escape

from outreach.extensions import Session
from outreach.letters import context, office, sources
from outreach.letters.i18n import _
from outreach.letters.sources import LETTERS
from outreach.pipeline.validation import official_languages

__all__ = [
    "LETTERS",
    "RenderError",
    "RenderedLetter",
    "Renderer",
    "choose_language",
    "language_name",
    "render_letter",
]

#: Largest subject, text body or HTML body one letter may have (characters).
MAX_PART_CHARS = 200_000
#: Longest a single letter may take to render (seconds).
MAX_SECONDS = 2.0

_DOCUMENT = (
    "<!doctype html>\n"
    '<html lang="{lang}">\n'
    "<head>\n"
    '<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    "<title>{title}</title>\n"
    "</head>\n"
    '<body style="margin:0;padding:16px;background:#ffffff;color:#1d2433;">\n'
    "{body}\n"
    "</body>\n"
    "</html>\n"
)


@dataclass(frozen=True)
class RenderedLetter:
    letter: str
    language: str
    reason: str
    subject: str
    text: str
    html: str
    version_id: int | None
    version: int
    candidate_id: int | None = None


class RenderError(ValueError):
    """A letter that cannot be fully rendered; the message names the candidate and the value."""

    def __init__(self, message: str, candidate_id: int | None = None) -> None:
        super().__init__(message)
        self.candidate_id = candidate_id


def _ui_locale() -> str:
    if has_request_context():
        from flask_babel import get_locale

        return str(get_locale() or "en")
    return "en"


def language_name(code: str, locale: str | None = None) -> str:
    """The language's name in the interface language ("Latvian"), from CLDR."""
    try:
        name = Locale.parse(code).get_display_name(locale or _ui_locale()) or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]


def _language_list(codes: list[str], locale: str) -> str:
    return format_list([language_name(c, locale) for c in codes], style="or", locale=locale)


def _codes(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip().lower() for part in value.replace(",", ";").split(";") if part.strip()]
    return [str(part).lower() for part in value]


def choose_language(
    municipality: Any,
    contact: Any,
    letter: str,
    available: set[str] | None = None,
    fallback: str = "en",
) -> tuple[str, str]:
    """(language code, reason). The one place the language of a letter is decided.

    Order: the contact's language, the municipality's first language, an official language
    of its country (CLDR, most spoken first), the configured fallback; the first with a
    template for ``letter`` wins. The reason names the language and why, and which preferred
    languages had no template ("English: no Estonian template").
    """
    if available is None:
        available = sources.languages(letter)
    ui = _ui_locale()
    contact_language = (getattr(contact, "language", "") or "") if contact is not None else ""
    if isinstance(contact, dict):
        contact_language = contact.get("language") or ""
    first = _codes(
        municipality.get("languages")
        if isinstance(municipality, dict)
        else getattr(municipality, "languages", "")
    )[:1]
    country = (
        municipality.get("country") if isinstance(municipality, dict) else municipality.country
    )
    steps: list[tuple[str, str]] = []
    if contact_language:
        steps.append((contact_language.lower(), _("the contact's language")))
    if first:
        steps.append((first[0], _("the municipality's first language")))
    country_name = context.country_name(country or "", ui)
    for code in official_languages(country or ""):
        steps.append((code, _("an official language of %(country)s", country=country_name)))
    missing: list[str] = []
    for code, why in steps:
        if code in available:
            reason = f"{language_name(code, ui)}: {why}"
            if missing:
                reason += " (" + _no_template(missing, ui) + ")"
            return code, reason
        if code not in missing:
            missing.append(code)
    if fallback not in available:
        raise RenderError(
            _(
                "no %(letter)s template in %(languages)s, nor in the fallback language",
                letter=letter,
                languages=_language_list(missing + [fallback], ui),
            )
        )
    if missing:
        return fallback, f"{language_name(fallback, ui)}: {_no_template(missing, ui)}"
    return fallback, f"{language_name(fallback, ui)}: " + _("the default language")


def _no_template(codes: list[str], ui: str) -> str:
    return _("no %(languages)s template", languages=_language_list(codes, ui))


def _line_of(exc: BaseException) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None:
            line = template.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    return line


def describe(exc: BaseException, where: str = "") -> str:
    """A short message for a failed render: what went wrong, in which template, on which line."""
    if isinstance(exc, TemplateError | RenderError | TimeoutError):
        message = str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}"
    if where:
        message += f" in {where}"
    line = _line_of(exc)
    return f"{message}, line {line}" if line else message


def candidate_label(candidate: dict[str, Any]) -> str:
    return f"{candidate.get('name') or '?'} ({candidate.get('country') or '?'})"


class Renderer:
    """Renders one letter kind for many candidates.

    Templates are compiled once per process and cached by (letter, language, version);
    settings, theme labels and the date are read once per Renderer. A Renderer belongs to
    one thread and one session; make a new one per batch.
    """

    def __init__(
        self,
        session: Session | None,
        letter: str,
        *,
        settings: dict[str, Any] | None = None,
        day: date | None = None,
    ) -> None:
        if not sources.is_known(letter):
            raise ValueError(f"unknown letter {letter!r} (one of: {', '.join(LETTERS)})")
        self.session = session
        self.letter = letter
        self.available = sources.languages(letter, session)
        if not self.available:
            raise ValueError(f"there is no template for the letter {letter!r}")
        if settings is None:
            settings = office.values(session) if session is not None else office.defaults()
        self.settings = settings
        self.labels = sources.themes()
        timezone = (
            current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Kyiv")
            if has_app_context()
            else "Europe/Kyiv"
        )
        self.day = day or context.today(timezone)
        self._sources: dict[str, sources.Source] = {}
        self._data: dict[str, context.LanguageData] = {}
        self._compiled: dict[str, sources.Compiled] = {}

    def language_for(self, municipality: Any, contact: Any = None) -> tuple[str, str]:
        if contact is None and not isinstance(municipality, dict):
            contact = getattr(municipality, "primary_contact", None)
        return choose_language(
            municipality,
            contact,
            self.letter,
            self.available,
            fallback=self.settings.get("fallback_language") or "en",
        )

    def source(self, language: str) -> sources.Source:
        found = self._sources.get(language)
        if found is None:
            if self.session is None:
                found = sources.file_source(self.letter, language)
            else:
                found = sources.active(self.session, self.letter, language)
            if found is None:
                raise RenderError(
                    _(
                        "no %(language)s template for %(letter)s",
                        language=language_name(language),
                        letter=self.letter,
                    )
                )
            self._sources[language] = found
        return found

    def use_source(self, source: sources.Source) -> None:
        """Render ``source.language`` from this text (a trial render of an unsaved edit)."""
        self._sources[source.language] = source
        self._compiled.pop(source.language, None)
        self.available = self.available | {source.language}

    def render(
        self, municipality: Any, contact: Any = None, language: str | None = None
    ) -> RenderedLetter:
        """Render for a Municipality (and a Contact, default its primary contact)."""
        if contact is None:
            contact = getattr(municipality, "primary_contact", None)
        candidate = context.candidate_data(municipality)
        if language:
            if language not in self.available:
                raise RenderError(
                    f"{candidate_label(candidate)}: "
                    + _(
                        "no %(language)s template for %(letter)s",
                        language=language_name(language),
                        letter=self.letter,
                    ),
                    candidate["id"],
                )
            reason = f"{language_name(language)}: " + _("chosen by hand")
        else:
            try:
                language, reason = self.language_for(municipality, contact)
            except RenderError as exc:
                raise RenderError(f"{candidate_label(candidate)}: {exc}", candidate["id"]) from exc
        return self.render_data(candidate, context.contact_data(contact), language, reason)

    def render_data(
        self,
        candidate: dict[str, Any],
        contact: dict[str, Any] | None,
        language: str,
        reason: str = "",
    ) -> RenderedLetter:
        """Render from plain values (see :func:`outreach.letters.context.candidate_data`)."""
        label = candidate_label(candidate)
        candidate_id = candidate.get("id")
        if not self.settings.get("signatory_name"):
            raise RenderError(
                f"{label}: "
                + _("our signatory's name is empty: set it on the Settings page first"),
                candidate_id,
            )
        try:
            self.source(language)
        except RenderError as exc:
            raise RenderError(f"{label}: {exc}", candidate_id) from exc
        values = self.context_for(candidate, contact, language)
        return self.render_values(values, label, candidate_id, reason)

    def context_for(
        self, candidate: dict[str, Any], contact: dict[str, Any] | None, language: str
    ) -> dict[str, Any]:
        """The template context for plain candidate and contact values in ``language``."""
        data = self._data.get(language)
        if data is None:
            data = context.LanguageData(language, self.settings, self.labels, self.day)
            self._data[language] = data
        return context.build(data, candidate, contact)

    def render_values(
        self,
        values: dict[str, Any],
        label: str = "",
        candidate_id: int | None = None,
        reason: str = "",
    ) -> RenderedLetter:
        """Render a ready context (``values["language"]`` picks the template); all caps apply."""
        language = values["language"]
        source = self.source(language)
        compiled = self._compiled.get(language)
        if compiled is None:
            compiled = sources.compile_source(source, cache=source.version >= 0)
            self._compiled[language] = compiled
        where = f"{self.letter}/{language}"
        started = time.perf_counter()
        try:
            subject, text = _blocks(compiled.text, values, ("subject", "text"))
            (body,) = _blocks(compiled.html, values, ("html",))
        except Exception as exc:  # noqa: BLE001 - every failure is reported, never sent
            raise RenderError(f"{label}: {describe(exc, where)}", candidate_id) from exc
        elapsed = time.perf_counter() - started
        if elapsed > MAX_SECONDS:
            raise RenderError(
                f"{label}: rendering {where} took {elapsed:.1f} s (limit {MAX_SECONDS:g} s)",
                candidate_id,
            )
        if "\r" in subject or "\n" in subject:
            raise RenderError(
                f"{label}: the subject of {where} contains a line break", candidate_id
            )
        if not subject:
            raise RenderError(f"{label}: the subject of {where} is empty", candidate_id)
        for part_name, part in (("subject", subject), ("text", text), ("html", body)):
            if len(part) > MAX_PART_CHARS:
                raise RenderError(
                    f"{label}: the {part_name} of {where} is {len(part)} characters long "
                    f"(limit {MAX_PART_CHARS})",
                    candidate_id,
                )
        document = _DOCUMENT.format(lang=language, title=escape(subject), body=body)
        return RenderedLetter(
            letter=self.letter,
            language=language,
            reason=reason,
            subject=subject,
            text=text,
            html=document,
            version_id=source.version_id,
            version=source.version,
            candidate_id=candidate_id,
        )


def _blocks(template: Template, values: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    ctx = template.new_context(values)
    out = []
    for name in names:
        block = template.blocks.get(name)
        if block is None:
            raise RenderError(f"the template has no {name!r} block")
        out.append("".join(block(ctx)).strip())
    return out


def render_letter(
    session: Session, municipality_id: int, letter: str, language: str | None = None
) -> RenderedLetter:
    """One letter for one candidate (its primary contact)."""
    from outreach.pipeline.models import Municipality

    municipality = session.get(Municipality, municipality_id)
    if municipality is None:
        raise RenderError(f"candidate {municipality_id} does not exist", municipality_id)
    return Renderer(session, letter).render(municipality, language=language)
