"""Saving custom versions: every check, nothing stored when invalid, history and restore."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from outreach.extensions import db
from outreach.letters import sources
from outreach.letters.models import LetterTemplate
from outreach.letters.render import Renderer
from outreach.letters.versions import TemplateInvalid, restore_file, restore_version, save_version

BODY = (
    "Subject: Proposal for {{ candidate.name }}\n\n{{ contact.salutation }},\n"
    "{{ paragraphs.themes }}\n{{ us.signatory_name }}\n"
)


def _count() -> int:
    return db.session.scalar(select(func.count(LetterTemplate.id))) or 0


def _refused(source: str) -> list[str]:
    with pytest.raises(TemplateInvalid) as info:
        save_version(db.session, "proposal", "pl", source, None)
    db.session.rollback()
    assert _count() == 0
    return info.value.messages


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        ("{{ ''.__class__.__mro__ }}", "__class__"),
        ("{{ ''|attr('__class__') }}", "__class__"),
        ("{{ cycler.__init__.__globals__ }}", "__init__"),
        ("{{ ''['__class__'] }}", "__class__"),
        ('{{ "{0.__class__}".format(candidate) }}', "format string"),
        ('{{ "a{x.__class__}b".format_map({"x": 42}) }}', "format_map"),
        ("{{ candidate|attr(contact.name) }}", "attr filter"),
        ("{{ range.__self__ }}", "__self__"),
    ],
)
def test_sandbox_escapes_are_refused(settings: Any, payload: str, name: str) -> None:
    source = BODY.replace("{{ paragraphs.themes }}", payload)
    messages = _refused(source)
    assert any(m.startswith("refused: templates may not") for m in messages)
    assert any(name in m and "on line 4" in m for m in messages), messages


def test_the_exact_refusal_message(settings: Any) -> None:
    messages = _refused(BODY.replace("{{ paragraphs.themes }}", "{{ ''|attr('__class__') }}"))
    assert messages == [
        "refused: templates may not access internal attributes (__class__) on line 4"
    ]


def test_runaway_operations_are_refused(settings: Any) -> None:
    messages = _refused(BODY.replace("{{ paragraphs.themes }}", "{{ 'x' * 10000000 }}"))
    assert "refused: repeating a value this many times" in messages[0]
    messages = _refused(BODY.replace("{{ paragraphs.themes }}", "{{ '%99999s' % 'x' }}"))
    assert "refused: format widths" in messages[0]
    messages = _refused(BODY.replace("{{ paragraphs.themes }}", "{{ range(10**6)|list }}"))
    assert "refused" in messages[0]


def test_slow_template_fails_the_trial(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("outreach.letters.render.MAX_SECONDS", 0.2)
    loop = (
        "{% macro m() %}{% endmacro %}"
        "{% for a in range(1000) %}{% for b in range(1000) %}{{ m() }}{% endfor %}{% endfor %}"
    )
    messages = _refused(BODY.replace("{{ paragraphs.themes }}", loop))
    assert "took longer than" in messages[0]


def test_syntax_error_with_line(settings: Any) -> None:
    messages = _refused(BODY.replace("{{ paragraphs.themes }}", "{% if candidate.name %}"))
    assert len(messages) == 1
    assert messages[0].startswith("syntax error on line ")


def test_unknown_variable_with_line(settings: Any) -> None:
    messages = _refused(BODY.replace("{{ paragraphs.themes }}", "{{ mayor_name }}"))
    assert messages == [
        "unknown placeholder `mayor_name` on line 4 (the placeholders are listed beside the text)"
    ]


def test_a_misspelt_placeholder_gets_a_suggestion(settings: Any) -> None:
    messages = _refused(BODY.replace("{{ paragraphs.themes }}", "{{ candidate.nmae }}"))
    assert messages == [
        "unknown placeholder `candidate.nmae` on line 4: did you mean `candidate.name`?"
    ]


def test_the_subject_line_comes_first(settings: Any) -> None:
    assert _refused("Dear {{ contact.name }}\n\nHello") == [
        "the first line must be the subject: Subject: … (line 1)"
    ]
    assert _refused("Subject: Hi\nHello") == ["leave a blank line after the subject (line 2)"]
    assert _refused("Subject: Hi\n\n") == ["the letter has no body below the subject"]


def test_an_empty_value_prints_nothing(settings: Any) -> None:
    text = BODY.replace("{{ paragraphs.themes }}", "{{ candidate.population }}")
    assert save_version(db.session, "proposal", "pl", text, None).version == 1


def test_unknown_letter_or_language(settings: Any) -> None:
    with pytest.raises(TemplateInvalid, match="unknown letter"):
        save_version(db.session, "../../etc/passwd", "pl", BODY, None)
    with pytest.raises(TemplateInvalid, match="unknown language"):
        save_version(db.session, "proposal", "xx", BODY, None)
    assert _count() == 0


def test_save_restore_and_rendered_version(settings: Any, make_candidate: Any) -> None:
    m = make_candidate("Żyraków", "PL", "pl")
    first = save_version(db.session, "proposal", "pl", BODY, None, note="short")
    db.session.commit()
    assert first.version == 1
    out = Renderer(db.session, "proposal").render(m)
    assert (out.version, out.version_id) == (1, first.id)
    assert out.subject == "Proposal for Żyraków"

    second = save_version(db.session, "proposal", "pl", BODY.replace("Proposal", "Offer"), None)
    db.session.commit()
    assert Renderer(db.session, "proposal").render(m).subject == "Offer for Żyraków"

    restored = restore_version(db.session, first.id, None)
    db.session.commit()
    assert restored.version == 3 and restored.source == first.source
    assert "restored version 1" in restored.note
    out = Renderer(db.session, "proposal").render(m)
    assert (out.version, out.version_id, out.subject) == (3, restored.id, "Proposal for Żyraków")
    assert [r.version for r in sources.history(db.session, "proposal", "pl")] == [3, 2, 1]
    assert second.version == 2

    back = restore_file(db.session, "proposal", "pl", None)
    db.session.commit()
    assert back.version == 4
    assert back.source == sources.file_source("proposal", "pl").text


def test_windows_line_endings_are_normalised(settings: Any) -> None:
    row = save_version(db.session, "proposal", "pl", BODY.replace("\n", "\r\n"), None)
    assert "\r" not in row.source


def test_saved_three_block_versions_are_converted_by_the_migration() -> None:
    import importlib.util
    from pathlib import Path

    path = next(Path("migrations/versions").glob("*_letter_texts.py"))
    spec = importlib.util.spec_from_file_location("letter_texts", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    old = (
        "{# a comment #}\n"
        "{% block subject %}Proposal: {{ us.name }} and {{ candidate.name_local }}{% endblock %}\n"
        "{% block text %}\n{% filter wordwrap(76, false) %}\n{{ contact.salutation }},\n\n"
        "Write to {{ sender.email }}.\n\n{{ us.signatory_name }}\n{% endfilter %}\n"
        "{% endblock %}\n{% block html %}<div><p>ignored</p></div>{% endblock %}\n"
    )
    assert migration.convert(old) == (
        "Subject: Proposal: {{ us.community }} and {{ candidate.name }}\n\n"
        "{{ contact.salutation }},\n\nWrite to {{ us.contact_email }}.\n\n"
        "{{ us.signatory_name }}\n"
    )
    assert migration.convert("Subject: already\n\nnew") == "Subject: already\n\nnew"
