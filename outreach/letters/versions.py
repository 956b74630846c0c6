"""Saving, checking and restoring custom versions of a letter in one language.

A new version is stored only when the text passes every check: it starts with its subject
line, parses, reads only documented placeholders, reaches for no Python internals, and renders
for real candidates (and a built-in sample with empty values) within the caps, which
apply while rendering (:mod:`outreach.letters.limits`).
"""

from __future__ import annotations

import difflib
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from sqlalchemy import select

from outreach.extensions import Session
from outreach.letters import context, kinds, markup, sandbox, sources
from outreach.letters.i18n import _
from outreach.letters.kinds import LetterKind
from outreach.letters.models import LetterTemplate
from outreach.letters.render import Renderer, RenderError
from outreach.locales import LANGUAGES
from outreach.pipeline.models import Municipality

#: Longest template text accepted (characters).
MAX_SOURCE_CHARS = 100_000
#: How many real candidates a new version is tried on.
TRIAL_CANDIDATES = 5

SAMPLE_CANDIDATE: dict[str, Any] = {
    "id": None,
    "name": "Sample Town",
    "name_local": "",
    "country": "PL",
    "region": "",
    "region_local": "",
    "population": None,
    "website": "",
    "themes": ["education", "agriculture", "culture"],
    "languages": [],
    "source": "",
}


class TemplateInvalid(ValueError):
    """A template text that cannot be stored; ``messages`` say why, with line numbers."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def _syntax(exc: TemplateSyntaxError, offset: int = 0) -> str:
    return _(
        "syntax error on line %(line)d: %(message)s",
        line=(exc.lineno or 1) + offset,
        message=exc.message,
    )


def _dotted(node: nodes.Node) -> str | None:
    """``candidate.name`` for ``Getattr(Name('candidate'), 'name')``; None for anything else."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        inner = _dotted(node.node)
        return f"{inner}.{node.attr}" if inner else None
    return None


def unknown_placeholders(tree: nodes.Template, offset: int = 0) -> list[str]:
    """ "unknown placeholder `candidate.nmae` on line 3: did you mean `candidate.name`?" for
    every name the letter may not read."""
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    assigned |= {n.name for n in tree.find_all(nodes.Macro)}
    messages: list[str] = []
    seen: set[str] = set()
    outer = {id(n.node) for n in tree.find_all(nodes.Getattr)}
    for node in tree.find_all((nodes.Getattr, nodes.Name)):
        if id(node) in outer:
            continue  # the inner part of a longer name
        if isinstance(node, nodes.Name) and (node.ctx != "load" or node.name in assigned):
            continue
        name = _dotted(node)
        if name is None or name in seen:
            continue
        top = name.split(".")[0]
        if top in assigned or top in sandbox.GLOBAL_NAMES:
            continue
        parts = name.split(".")
        prefixes = {".".join(parts[:n]) for n in range(2, len(parts) + 1)}
        if prefixes & context.NAMES or (len(parts) == 1 and top in context.TOP_LEVEL):
            continue  # a placeholder, or a method of its value (the sandbox guards those)
        seen.add(name)
        guess = difflib.get_close_matches(name, sorted(context.NAMES), n=1, cutoff=0.6)
        line = (node.lineno or 1) + offset
        if guess:
            messages.append(
                _(
                    "unknown placeholder `%(name)s` on line %(line)d: did you mean `%(guess)s`?",
                    name=name,
                    line=line,
                    guess=guess[0],
                )
            )
        else:
            messages.append(
                _(
                    "unknown placeholder `%(name)s` on line %(line)d (the placeholders are "
                    "listed beside the text)",
                    name=name,
                    line=line,
                )
            )
    return messages


def static_problems(text: str) -> list[str]:
    """Problems found without rendering: the subject line, syntax, internals, placeholders."""
    if not text.strip():
        return [_("the letter is empty")]
    if len(text) > MAX_SOURCE_CHARS:
        return [_("the letter is longer than %(n)d characters", n=MAX_SOURCE_CHARS)]
    try:
        parts = markup.split(text)
    except markup.MarkupError as exc:
        return [str(exc)]
    messages: list[str] = []
    # The body is parsed with the lines above it blank, so that lines are those of the text.
    for source in (parts.subject, "\n" * (parts.body_line - 1) + parts.body):
        try:
            tree = sources.ENV.parse(source)
        except TemplateSyntaxError as exc:
            messages.append(_syntax(exc))
            continue
        refused = sandbox.unsafe_uses(tree)
        if refused:
            return refused
        messages.extend(unknown_placeholders(tree))
    return messages


def trial_problems(session: Session, letter: LetterKind, language: str, text: str) -> list[str]:
    """Render ``text`` for up to five real candidates and the sample; the failures."""
    renderer = Renderer(session, letter, sample_first_letter=True)
    if not renderer.settings.get("signatory_name") or not renderer.settings.get("signatory_gender"):
        renderer.settings = dict(
            renderer.settings, signatory_name="Підписант", signatory_gender="f"
        )
    renderer.use_source(sources.Source(letter, language, -1, None, text))
    candidates = list(
        session.scalars(select(Municipality).order_by(Municipality.id).limit(TRIAL_CANDIDATES))
    )
    trials: list[tuple[dict[str, Any], dict[str, Any] | None]] = [
        (context.candidate_data(m), context.contact_data(m.primary_contact)) for m in candidates
    ]
    trials.append((SAMPLE_CANDIDATE, None))
    messages: list[str] = []
    seen: set[str] = set()
    for candidate, contact in trials:
        try:
            renderer.render_data(candidate, contact, language)
        except RenderError as exc:
            cause = exc.__cause__
            message = str(exc)
            prefix = _("refused: %(message)s", message="").strip()
            if isinstance(cause, SecurityError) and not str(cause).startswith(prefix):
                message = _("refused: %(message)s", message=message)
            problem = message.split(": ", 1)[-1]
            if problem not in seen:
                seen.add(problem)
                messages.append(message)
        if len(messages) >= 3:
            break
    return messages


def check(session: Session, letter: LetterKind | str, language: str, text: str) -> LetterKind:
    """The letter kind, unless ``text`` may not be stored for letter/language: then raise
    :class:`TemplateInvalid`. A letter and language are checked here too, as they become
    stored names."""
    try:
        kind = kinds.parse(letter)
    except ValueError as exc:
        raise TemplateInvalid([str(exc)]) from None
    if not sources.is_language(language) or language not in LANGUAGES:
        raise TemplateInvalid([_("unknown language code %(code)s", code=repr(language))])
    messages = static_problems(text)
    if messages:
        raise TemplateInvalid(messages)
    messages = trial_problems(session, kind, language, text)
    if messages:
        raise TemplateInvalid(messages)
    return kind


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def save_version(
    session: Session,
    letter: LetterKind | str,
    language: str,
    source: str,
    user_id: int | None,
    note: str = "",
) -> LetterTemplate:
    """Store ``source`` as the next version of letter/language after every check; flushes."""
    text = normalise(source)
    kind = check(session, letter, language, text)
    row = LetterTemplate(
        letter=kind.value,
        language=language,
        version=sources.next_version(session, kind, language),
        source=text,
        created_by=user_id,
        note=note[:500],
    )
    session.add(row)
    session.flush()
    return row


def restore_version(session: Session, version_id: int, user_id: int | None) -> LetterTemplate:
    """Make an older version current again by saving a copy of it as the newest version."""
    old = session.get(LetterTemplate, version_id)
    if old is None:
        raise TemplateInvalid([_("version %(id)s does not exist", id=version_id)])
    return save_version(
        session,
        old.letter,
        old.language,
        old.source,
        user_id,
        note=_("restored version %(n)d", n=old.version),
    )


def restore_file(
    session: Session, letter: LetterKind, language: str, user_id: int | None
) -> LetterTemplate:
    """Make the shipped file's text current again (saved as the newest version)."""
    source = sources.file_source(letter, language)
    if source is None:
        raise TemplateInvalid([_("there is no shipped file for %(l)s/%(g)s", l=letter, g=language)])
    return save_version(
        session, letter, language, source.text, user_id, note=_("restored the shipped file")
    )
