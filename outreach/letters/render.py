"""Rendering letters: the sandboxed letter texts, the caps.

The public API used by the mailing queue: :class:`RenderedLetter`, :class:`RenderError`,
:class:`Renderer`, :func:`render_letter`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from flask import current_app, has_app_context
from jinja2.exceptions import TemplateError
from markupsafe import escape
from sqlalchemy import select

from outreach.extensions import Session
from outreach.hooks import hooks
from outreach.letters import context, languages, limits, markup, office, phrases, sources
from outreach.letters.i18n import _
from outreach.letters.kinds import LetterKind
from outreach.letters.language_choice import LanguageChoice, NoTemplate, choose_language
from outreach.letters.limits import MAX_SECONDS
from outreach.locales import language_name
from outreach.pipeline.models import Contact, Municipality
from outreach.pipeline.stages import Stage

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
    #: Follow-ups: the Message-ID of the first letter (In-Reply-To and References).
    in_reply_to: str = ""
    #: Something staff should fix about the recipient (declare the town's language).
    warning: str = ""


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
    if isinstance(exc, TemplateError | RenderError | TimeoutError | markup.MarkupError):
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

    Letter texts are compiled once per process and cached by (letter, language, version);
    settings, our partners and the date are read once per Renderer. A Renderer belongs to
    one thread and one session; make a new one per batch. Follow-ups ask the
    ``first_letters`` hook for the letter they refer to (:meth:`prefetch` asks for many).
    """

    def __init__(
        self,
        session: Session | None,
        letter: LetterKind | str,
        *,
        settings: dict[str, Any] | None = None,
        day: date | None = None,
        partners: list[phrases.Partner] | None = None,
        sample_first_letter: bool = False,
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
        if partners is None:
            partners = signed_partners(session) if session is not None else []
        self.partners = partners
        #: Previews of a follow-up for a candidate never written to show an example.
        self.sample_first_letter = sample_first_letter
        self._sources: dict[str, sources.Source] = {}
        self._data: dict[str, context.LanguageData] = {}
        self._compiled: dict[str, sources.Compiled] = {}
        self._first: dict[int, context.FirstLetter | None] = {}
        self._reasons: dict[int, list[dict[str, Any]]] = {}

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
                never=self.settings.get("never_languages") or (),
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

    def prefetch(self, municipality_ids: list[int]) -> None:
        """Ask once, for many recipients, why each was suggested and (follow-ups) which letter
        was their first."""
        if self.session is None or not has_app_context():
            return
        wanted = [i for i in municipality_ids if i not in self._reasons]
        reasons: dict[int, list[dict[str, Any]]] = {}
        for ask in hooks().suggestion_reasons:
            reasons.update(ask(self.session, wanted))
        for municipality_id in wanted:
            self._reasons[municipality_id] = reasons.get(municipality_id) or []
        if not self.letter.is_follow_up:
            return
        wanted = [i for i in municipality_ids if i not in self._first]
        found: dict[int, Any] = {}
        for provider in hooks().first_letters:
            found.update(provider(self.session, wanted))
        for municipality_id in wanted:
            self._first[municipality_id] = found.get(municipality_id)

    def first_letter(self, candidate: dict[str, Any], language: str) -> context.FirstLetter | None:
        """The letter a follow-up refers to; raises :class:`RenderError` when there is none."""
        if not self.letter.is_follow_up:
            return None
        municipality_id = candidate.get("id")
        found = None
        if municipality_id is not None:
            if municipality_id not in self._first:
                self.prefetch([municipality_id])
            found = self._first.get(municipality_id)
        if found is None and self.sample_first_letter:
            found = self._sample_first_letter(candidate, language)
        if found is None:
            raise RenderError(
                f"{candidate_label(candidate)}: "
                + _("no first letter was sent to this candidate: a follow-up refers to it"),
                municipality_id,
            )
        return found

    def _sample_first_letter(self, candidate: dict[str, Any], language: str) -> context.FirstLetter:
        """An example first letter for previews: the proposal's subject, two weeks ago."""
        subject = "…"
        try:
            proposal = Renderer(
                self.session,
                LetterKind.PROPOSAL,
                settings=self.settings,
                day=self.day,
                partners=self.partners,
            )
            if language in proposal.available:
                subject = proposal.render_data(candidate, None, language).subject
        except RenderError:
            pass
        return context.FirstLetter(self.day - timedelta(days=14), subject)

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
        warning = ""
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
                language, reason, warning = choice.language, choice.reason, choice.warning
            except RenderError as exc:
                raise RenderError(f"{candidate_label(candidate)}: {exc}", candidate["id"]) from exc
        rendered = self.render_data(candidate, context.contact_data(contact), language, reason)
        return replace(rendered, warning=warning) if warning else rendered

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
        try:
            self.source(language)
        except RenderError as exc:
            raise RenderError(f"{label}: {exc}", candidate_id) from exc
        first = self.first_letter(candidate, language)
        municipality_id = candidate.get("id")
        if municipality_id is not None and municipality_id not in self._reasons:
            self.prefetch([municipality_id])
        reasons = self._reasons.get(municipality_id or 0) or []
        values = self.context_for(candidate, contact, language, first, label=label, reasons=reasons)
        rendered = self.render_values(values, label, candidate_id, reason)
        if first is not None and first.message_id:
            rendered = replace(rendered, in_reply_to=first.message_id)
        return rendered

    def context_for(
        self,
        candidate: dict[str, Any],
        contact: dict[str, Any] | None,
        language: str,
        first_letter: context.FirstLetter | None = None,
        *,
        label: str = "",
        reasons: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The context for plain candidate and contact values in ``language``; raises
        :class:`RenderError` naming the field and the language when a value is missing."""
        try:
            data = self._data.get(language)
            if data is None:
                data = context.LanguageData(language, self.settings, self.day, self.partners)
                self._data[language] = data
            return context.build(data, candidate, contact, first_letter, reasons)
        except (context.ContextError, languages.LanguageDataError, phrases.PhraseError) as exc:
            prefix = f"{label or candidate_label(candidate)}: "
            raise RenderError(prefix + str(exc), candidate.get("id")) from exc

    def compiled(self, language: str, label: str = "") -> sources.Compiled:
        found = self._compiled.get(language)
        if found is None:
            source = self.source(language)
            try:
                found = sources.compile_source(source, cache=source.version >= 0)
            except (TemplateError, markup.MarkupError) as exc:
                where = f"{self.letter}/{language}"
                raise RenderError(f"{label}: {describe(exc, where)}".lstrip(": ")) from exc
            self._compiled[language] = found
        return found

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
        where = f"{self.letter}/{language}"
        compiled = self.compiled(language, label)
        try:
            with limits.metered(MAX_SECONDS):
                subject, text, body = compiled.render(values)
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


def signed_partners(session: Session) -> list[phrases.Partner]:
    """The municipalities we signed agreements with, in the order we signed."""
    rows = session.scalars(
        select(Municipality)
        .where(Municipality.stage == Stage.SIGNED.value)
        .order_by(Municipality.agreement_date, Municipality.id)
    )
    return [
        phrases.Partner(m.id, m.name, m.name_local or "", m.country, tuple(m.languages or []))
        for m in rows
    ]


def render_letter(
    session: Session, municipality_id: int, letter: LetterKind, language: str | None = None
) -> RenderedLetter:
    """One letter for one candidate (its primary contact)."""
    municipality = session.get(Municipality, municipality_id)
    if municipality is None:
        raise RenderError(f"candidate {municipality_id} does not exist", municipality_id)
    return Renderer(session, letter).render(municipality, language=language)
