"""Where letter templates come from: shipped files and saved versions, compiled once.

Shipped files live in ``templates/letters/<letter>/<language>.txt`` (found by
:func:`outreach.resources.letters_dir`; the folder is ``LETTER_TEMPLATES_DIR`` when
configured). The folder is scanned once per process; a letter and language are only ever
looked up among the scanned pairs or by a database row id, never by a name or path typed by
a user.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select

from outreach import resources
from outreach.extensions import Session
from outreach.letters import markup, sandbox
from outreach.letters.kinds import LetterKind
from outreach.letters.models import LetterTemplate

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_EXTENSION = ".txt"

#: The sandbox letter texts are rendered in: values printed into a body are kept apart from
#: the markup (see :mod:`outreach.letters.markup`).
ENV = sandbox.make_environment(html=False, finalize=markup.finalize)

#: One letter version compiled: its subject and body templates and their parsed markup.
Compiled = markup.Document

_lock = threading.Lock()
_scans: dict[str, dict[tuple[LetterKind, str], str]] = {}
_compiled: dict[tuple[str, str, int, str], Compiled] = {}


@dataclass(frozen=True)
class Source:
    """The active text of one letter in one language."""

    letter: LetterKind
    language: str
    version: int  # 0 = shipped file
    version_id: int | None
    text: str

    @property
    def kind(self) -> str:
        return "file" if self.version_id is None else "custom"


def folder() -> str:
    if has_app_context():
        configured = current_app.config.get("LETTER_TEMPLATES_DIR")
        if configured:
            return str(configured)
    return str(resources.letters_dir())


def shipped(path: str | None = None) -> dict[tuple[LetterKind, str], str]:
    """``{(letter, language): file text}`` for every shipped template (scanned once)."""
    root = path or folder()
    found = _scans.get(root)
    if found is not None:
        return found
    with _lock:
        found = {}
        if os.path.isdir(root):
            for letter in LetterKind:
                sub = os.path.join(root, letter)
                if not os.path.isdir(sub):
                    continue
                for filename in sorted(os.listdir(sub)):
                    language, ext = os.path.splitext(filename)
                    if ext == _EXTENSION and _LANGUAGE.match(language):
                        with open(os.path.join(sub, filename), encoding="utf-8") as fh:
                            found[(letter, language)] = fh.read()
        _scans[root] = found
    return found


def reset() -> None:
    """Forget scanned files and compiled templates (after files changed on disk)."""
    with _lock:
        _scans.clear()
        _compiled.clear()


def languages(letter: LetterKind, session: Session | None = None) -> set[str]:
    """Languages with a template for ``letter`` (shipped, or saved in the database)."""
    found = {lang for name, lang in shipped() if name == letter}
    if session is not None:
        found |= set(
            session.scalars(
                select(LetterTemplate.language).where(LetterTemplate.letter == letter).distinct()
            )
        )
    return found


def is_language(code: str) -> bool:
    """Whether ``code`` has the shape of a template's language (never a path)."""
    return bool(_LANGUAGE.match(code or ""))


def active(session: Session, letter: LetterKind, language: str) -> Source | None:
    """The text that letters in this language are rendered from: newest saved version, or file."""
    row = session.scalars(
        select(LetterTemplate)
        .where(LetterTemplate.letter == letter, LetterTemplate.language == language)
        .order_by(LetterTemplate.version.desc())
        .limit(1)
    ).first()
    if row is not None:
        return Source(letter, language, row.version, row.id, row.source)
    return file_source(letter, language)


def file_source(letter: LetterKind, language: str) -> Source | None:
    text = shipped().get((letter, language))
    return None if text is None else Source(letter, language, 0, None, text)


def by_id(session: Session, version_id: int) -> LetterTemplate | None:
    return session.get(LetterTemplate, version_id)


def history(session: Session, letter: LetterKind, language: str) -> list[LetterTemplate]:
    return list(
        session.scalars(
            select(LetterTemplate)
            .where(LetterTemplate.letter == letter, LetterTemplate.language == language)
            .order_by(LetterTemplate.version.desc())
        )
    )


def next_version(session: Session, letter: LetterKind, language: str) -> int:
    current = session.scalar(
        select(func.max(LetterTemplate.version)).where(
            LetterTemplate.letter == letter, LetterTemplate.language == language
        )
    )
    return (current or 0) + 1


def compile_source(source: Source | Any, *, cache: bool = True) -> Compiled:
    """The compiled letter for a source, from the per-process cache when already compiled;
    raises :class:`~outreach.letters.markup.MarkupError` or Jinja's syntax error."""
    name = f"{source.letter}/{source.language}"
    if not cache:
        return markup.Document(source.text, ENV.from_string, name)
    digest = hashlib.sha1(source.text.encode("utf-8")).hexdigest()
    key = (source.letter, source.language, source.version, digest)
    found = _compiled.get(key)
    if found is None:
        found = markup.Document(source.text, ENV.from_string, name)
        _compiled[key] = found
    return found
