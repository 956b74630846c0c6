"""Rendering letters: the sandboxed templates, the caps.

The public API used by the mailing queue: :class:`RenderedLetter`, :class:`RenderError`,
:class:`Renderer`, :func:`render_letter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app, has_app_context
from jinja2 import Template
from jinja2.exceptions import TemplateError
from markupsafe import escape

from outreach.extensions import Session
from outreach.letters import context, limits, office, sources
from outreach.letters.i18n import _
from outreach.letters.kinds import LetterKind
from outreach.letters.language_choice import LanguageChoice, NoTemplate, choose_language
from outreach.letters.limits import MAX_SECONDS
from outreach.locales import language_name
from outreach.pipeline.models import Contact, Municipality

#: Largest subject, text body or HTML body one letter may have (characters).
MAX_PART_CHARS = 200_000

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
    letter: LetterKind
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
    settings and the date are read once per Renderer. A Renderer belongs to
    one thread and one session; make a new one per batch.
    """

    def __init__(
        self,
        session: Session | None,
        letter: LetterKind | str,
        *,
        settings: dict[str, Any] | None = None,
        day: date | None = None,
    ) -> None:
        self.session = session
        self.letter = LetterKind(letter)
        self.available = sources.languages(self.letter, session)
        if not self.available:
            raise ValueError(f"there is no template for the letter {letter!r}")
        if settings is None:
            settings = office.values(session) if session is not None else office.defaults()
        self.settings = settings
        timezone = (
            current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Kyiv")
            if has_app_context()
            else "Europe/Kyiv"
        )
        self.day = day or context.today(timezone)
        self._sources: dict[str, sources.Source] = {}
        self._data: dict[str, context.LanguageData] = {}
        self._compiled: dict[str, sources.Compiled] = {}

    def language_for(self, municipality: Municipality, contact: Contact | None) -> LanguageChoice:
        """The language this letter is written in for a recipient (see
        :mod:`outreach.letters.language_choice`); raises :class:`RenderError` when none has a
        template."""
        try:
            return choose_language(
                municipality,
                contact,
                self.letter,
                self.available,
                fallback=self.settings.get("fallback_language") or "en",
            )
        except NoTemplate as exc:
            raise RenderError(str(exc), municipality.id) from exc

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
        self,
        municipality: Municipality,
        contact: Contact | None = None,
        language: str | None = None,
    ) -> RenderedLetter:
        """Render for a Municipality (and a Contact, default its primary contact)."""
        if contact is None:
            contact = municipality.primary_contact
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
                choice = self.language_for(municipality, contact)
                language, reason = choice.language, choice.reason
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
            data = context.LanguageData(language, self.settings, self.day)
            self._data[language] = data
        return context.build(data, candidate, contact)

    def render_values(
        self,
        values: dict[str, Any],
        label: str = "",
        candidate_id: int | None = None,
        reason: str = "",
    ) -> RenderedLetter:
        """Render a ready context (``values["language"]`` picks the template); all caps apply,
        while rendering: :data:`MAX_SECONDS` stops it, and no value or total may outgrow the
        limits of :mod:`outreach.letters.limits`."""
        language = values["language"]
        source = self.source(language)
        compiled = self._compiled.get(language)
        if compiled is None:
            compiled = sources.compile_source(source, cache=source.version >= 0)
            self._compiled[language] = compiled
        where = f"{self.letter}/{language}"
        try:
            with limits.metered(MAX_SECONDS):
                subject, text = _blocks(compiled.text, values, ("subject", "text"))
                (body,) = _blocks(compiled.html, values, ("html",))
        except Exception as exc:  # noqa: BLE001 - every failure is reported, never sent
            raise RenderError(f"{label}: {describe(exc, where)}", candidate_id) from exc
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
    session: Session, municipality_id: int, letter: LetterKind, language: str | None = None
) -> RenderedLetter:
    """One letter for one candidate (its primary contact)."""
    municipality = session.get(Municipality, municipality_id)
    if municipality is None:
        raise RenderError(f"candidate {municipality_id} does not exist", municipality_id)
    return Renderer(session, letter).render(municipality, language=language)
