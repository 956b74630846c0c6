"""Rendering: every shipped template for every demo candidate, the language chain, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from outreach.extensions import db
from outreach.letters import sources
from outreach.letters.kinds import LetterKind
from outreach.letters.language_choice import NoTemplate, choose_language
from outreach.letters.render import Renderer, RenderError, render_letter
from outreach.pipeline.models import Contact, Municipality

REQUIRED = {"uk", "en", "pl", "de", "it", "lv", "lt", "fr"}


def test_shipped_letters_cover_the_required_languages() -> None:
    for letter in ("proposal", "follow_up"):
        assert letter in list(LetterKind)
        assert sources.languages(letter) >= REQUIRED


@pytest.mark.parametrize("letter", ["proposal", "follow_up"])
def test_every_shipped_template_renders_for_every_demo_candidate(
    demo: list[Municipality], letter: str
) -> None:
    renderer = Renderer(db.session, letter)
    assert len(demo) >= 10
    for language in sorted(sources.languages(letter)):
        for municipality in demo:
            out = renderer.render(municipality, language=language)
            assert out.language == language and out.version == 0 and out.version_id is None
            assert out.subject and "\n" not in out.subject
            for part in (out.subject, out.text, out.html):
                assert "{{" not in part and "{%" not in part and "None" not in part
            flat = " ".join(out.text.split())
            assert municipality.name in flat or municipality.name_local in flat
            assert "Oksana Example" in out.text and "Oksana Example" in out.html
            assert out.html.startswith("<!doctype html>")
            assert f'<html lang="{language}">' in out.html
            assert '<meta charset="utf-8">' in out.html


def test_polish_letter_reads_as_written_for_the_town(demo: list[Municipality]) -> None:
    dabrowa = next(m for m in demo if m.name == "Dąbrowa")
    out = render_letter(db.session, dabrowa.id, "proposal")
    assert out.language == "pl"
    assert out.reason.startswith("Polish: ")
    assert "Polska" in out.text or "Polsce" in out.text or "Ukraina" in out.text
    months = "stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października"
    assert re.search(rf"\d{{1,2}} ({months}|listopada|grudnia) \d{{4}}", out.text)


def chosen(*args: Any, **kwargs: Any) -> tuple[str, str]:
    """(language, reason) of a choice."""
    choice = choose_language(*args, **kwargs)
    return choice.language, choice.reason


def test_contact_language_comes_first(make_candidate: Any) -> None:
    m = make_candidate(
        "Riga Test",
        "LV",
        "lv",
        contact={"name": "A B", "email": "a@riga.example", "language": "en"},
    )
    assert chosen(m, m.primary_contact, "proposal") == (
        "en",
        "English: the contact's language",
    )


def test_municipality_first_language(make_candidate: Any) -> None:
    m = make_candidate("Olaine Test", "LV", "lv;en", contact={"email": "x@olaine.example"})
    assert chosen(m, m.primary_contact, "proposal") == (
        "lv",
        "Latvian: the municipality's first language",
    )


def test_official_language_of_the_country(make_candidate: Any) -> None:
    m = make_candidate("Graz Test", "AT")
    assert chosen(m, None, "proposal") == (
        "de",
        "German: an official language of Austria",
    )


def test_fallback_names_the_missing_language(make_candidate: Any) -> None:
    m = make_candidate("Tartu Test", "EE", "et")
    assert chosen(m, None, "proposal") == ("en", "English: no Estonian template")
    japan = make_candidate("Kyoto Test", "JP", "ja", contact={"email": "a@kyoto.example"})
    code, reason = chosen(japan, japan.primary_contact, "proposal")
    assert code == "en" and "no Japanese template" in reason


def test_skipped_preference_is_named(make_candidate: Any) -> None:
    m = make_candidate("Narva Test", "AT", "et")
    assert chosen(m, None, "proposal") == (
        "de",
        "German: an official language of Austria (no Estonian template)",
    )


def test_ukrainian_contact_gets_ukrainian(make_candidate: Any) -> None:
    m = make_candidate("Uk Test", "PL", "pl", contact={"email": "u@pl.example", "language": "uk"})
    rendered = Renderer(db.session, "proposal").render(m)
    assert rendered.language == "uk"


def test_no_template_anywhere_is_an_error(make_candidate: Any) -> None:
    m = make_candidate("Nowhere", "EE", "et")
    with pytest.raises(NoTemplate, match="no proposal template"):
        choose_language(m, None, "proposal", available={"pl"})


def test_language_by_hand_must_exist(make_candidate: Any) -> None:
    m = make_candidate("Hand Test", "PL", "pl")
    renderer = Renderer(db.session, "proposal")
    assert renderer.render(m, language="de").reason == "German: chosen by hand"
    with pytest.raises(RenderError, match="Hand Test \\(PL\\): no Estonian template"):
        renderer.render(m, language="et")


def test_missing_value_names_candidate_and_value(make_candidate: Any) -> None:
    m = make_candidate("Olaine", "LV", "lv")
    renderer = Renderer(db.session, "proposal")
    good = sources.active(db.session, "proposal", "lv")
    assert good is not None
    broken = good.text.replace("{{ contact.salutation }}", "{{ contact.nickname }}", 1)
    assert broken != good.text
    renderer.use_source(sources.Source("proposal", "lv", -1, None, broken))
    with pytest.raises(RenderError) as info:
        renderer.render(m)
    message = str(info.value)
    assert message.startswith("Olaine (LV): 'contact.nickname' is undefined in proposal/lv")
    assert re.search(r"line \d+$", message)
    assert info.value.candidate_id == m.id


def test_subject_with_line_break_is_an_error(settings: Any) -> None:
    transient = Municipality(name="Evil\r\nBcc: x@y.example", country="PL", languages=["pl"])
    with pytest.raises(RenderError, match="subject of proposal/pl contains a line break"):
        Renderer(db.session, "proposal").render(transient)


def test_oversized_letter_is_an_error(make_candidate: Any) -> None:
    m = make_candidate("Big", "PL", "pl")
    renderer = Renderer(db.session, "proposal")
    source = (
        "{% block subject %}Hi{% endblock %}{% block text %}"
        "{% for i in range(1000) %}{{ 'x' * 250 }}{% endfor %}{% endblock %}"
        "{% block html %}<div></div>{% endblock %}"
    )
    renderer.use_source(sources.Source("proposal", "pl", -1, None, source))
    with pytest.raises(RenderError, match="250000 characters long"):
        renderer.render(m)


def test_missing_signatory_is_an_error(app: Any) -> None:
    transient = Municipality(name="Somewhere", country="PL", languages=["pl"])
    with pytest.raises(RenderError, match="signatory's name is empty"):
        Renderer(db.session, "proposal").render(transient)


def test_html_escapes_candidate_values(settings: Any) -> None:
    transient = Municipality(
        name="<script>alert(1)</script>", country="PL", languages=["pl"], themes=[]
    )
    transient.contacts.append(Contact(name="<b>Bob</b>", email="b@x.example", gender="m"))
    out = Renderer(db.session, "proposal").render(transient)
    assert "<script>alert(1)</script>" not in out.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    assert "<script>alert(1)</script>" in out.text


def test_shared_themes_in_the_letters_language(make_candidate: Any) -> None:
    m = make_candidate("Themes", "PL", "pl", themes="agriculture;education;sport")
    out = Renderer(db.session, "proposal").render(m)
    assert "edukacja i rolnictwo" in out.text or "rolnictwo i edukacja" in out.text
