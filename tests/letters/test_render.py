"""Rendering: every letter kind for every demo candidate in every shipped language, the
checks a protocol officer would make, and the refusals that keep a bad letter from going out."""

from __future__ import annotations

import re
from typing import Any

import pytest

from outreach.extensions import db
from outreach.letters import languages, office, sources
from outreach.letters.kinds import LetterKind
from outreach.letters.render import Renderer, RenderError, render_letter
from outreach.locales import THEMES, country_name, letter_theme_labels
from outreach.pipeline.models import Contact, Municipality
from outreach.pipeline.stages import Stage

SHIPPED = {"uk", "en", "pl", "de", "it", "lv", "lt", "fr", "es", "cs", "ro"}


def test_every_kind_exists_in_every_shipped_language() -> None:
    for letter in LetterKind:
        assert sources.languages(letter) == SHIPPED, letter
    for code in SHIPPED:
        assert languages.shipped(code).complete


def _english_words(municipality: Municipality, language: str) -> list[str]:
    """English data (themes, the country, the region) that must never appear inside a letter
    in another language, unless that language writes it the same way."""
    own = " ".join(letter_theme_labels(list(THEMES), language))
    own += " " + country_name(municipality.country, language) + " " + municipality.region_local
    words = [letter_theme_labels([slug], "en")[0] for slug in THEMES]
    words.append(country_name(municipality.country, "en"))
    words.append(municipality.region)
    return [w for w in words if w and w not in own]


@pytest.mark.parametrize("letter", list(LetterKind))
def test_every_letter_renders_for_every_demo_candidate_in_every_language(
    demo: list[Municipality], letter: LetterKind
) -> None:
    renderer = Renderer(db.session, letter, sample_first_letter=True)
    settings = office.values(db.session)
    partners = {m.id: m for m in demo if m.stage == Stage.SIGNED.value}
    rendered = 0
    for language in sorted(SHIPPED):
        data = languages.shipped(language)
        title = office.localized(settings, language)["signatory_title"]
        for municipality in demo:
            try:
                out = renderer.render(municipality, language=language)
            except RenderError as exc:
                # A town whose name has no form in the letter's script is refused, by field.
                assert language == "uk", str(exc)
                assert "candidate.name (uk)" in str(exc) or "candidate.name_local (uk)" in str(exc)
                continue
            rendered += 1
            for part in (out.subject, out.text, out.html):
                assert "{{" not in part and "{%" not in part and "None" not in part
                assert "\ue000" not in part
            assert out.html.startswith("<!doctype html>") and f'lang="{language}"' in out.html
            if language != "en":
                for word in _english_words(municipality, language):
                    assert not re.search(rf"\b{re.escape(word)}\b", out.text), (language, word)
            for partner in partners.values():
                if partner.id == municipality.id:
                    assert f"{partner.name} (" not in out.text, (language, partner.name)
            # The title agrees with the signatory's gender (female in the demo).
            assert title in out.text
            assert title == data.title("mayor", "f")
            # One script per name: the signature is in the letter's script.
            signature = office.localized(settings, language)["signatory_name"]
            assert languages.in_script(signature, data.script) and signature in out.text
    assert rendered >= len(demo) * (len(SHIPPED) - 1)


def test_the_polish_letter_reads_as_written_for_the_town(demo: list[Municipality]) -> None:
    zyrakow = next(m for m in demo if m.name == "Żyraków")
    out = render_letter(db.session, zyrakow.id, LetterKind.PROPOSAL)
    assert out.language == "pl" and out.reason.startswith("Polish: ")
    flat = " ".join(out.text.split())
    assert flat.startswith("Mena, ")
    assert "Szanowny Panie Wójcie," in flat
    assert "Gmina Żyraków, województwo podkarpackie" in flat
    assert "Subcarpathian" not in flat
    assert "Rady Miejskiej w Menie" in flat
    assert "Dąbrowa (Polska), Olaine (Łotwa) i Casteltermini (Włochy)" in flat
    assert "Żyraków (Polska)" not in flat
    assert "platformy partnerskiej Cities4Cities" in flat
    assert "Oksana Pryklad Burmistrz Meny Rada Miejska w Menie" in flat
    assert "tysiące" not in flat  # nothing unsourced: no displaced-people figure was set


def test_a_candidate_never_reads_its_own_agreement(demo: list[Municipality]) -> None:
    dabrowa = next(m for m in demo if m.name == "Dąbrowa")
    out = Renderer(db.session, LetterKind.PROPOSAL).render(dabrowa)
    assert "Dąbrowa (" not in out.text and "Żyraków (Polska)" in " ".join(out.text.split())


def test_friedberg_is_named_once_signed(demo: list[Municipality]) -> None:
    friedberg = next(m for m in demo if m.name == "Friedberg")
    friedberg.stage = Stage.SIGNED.value
    db.session.commit()
    valga = next(m for m in demo if m.name == "Valga")
    out = Renderer(db.session, LetterKind.PROPOSAL).render(valga)
    assert "Friedberg (Germany)" in " ".join(out.text.split())


def test_facts_about_us_come_from_the_settings(settings: Any, make_candidate: Any) -> None:
    m = make_candidate("Facts", "GB", "en")
    out = Renderer(db.session, LetterKind.PROPOSAL).render(m)
    assert "home to about" not in out.text and "displaced" not in out.text
    office.update(db.session, {"population": "41 500", "displaced_people": "3200"})
    db.session.commit()
    flat = " ".join(Renderer(db.session, LetterKind.PROPOSAL).render(m).text.split())
    assert "It is home to about 41,500 people." in flat
    assert "about 3,200 people displaced" in flat


def test_themes_are_named_naturally(make_candidate: Any) -> None:
    one = make_candidate("One", "GB", "en", themes="education")
    none = make_candidate("None", "GB", "en", themes="")
    flat = " ".join(Renderer(db.session, LetterKind.PROPOSAL).render(one).text.split())
    assert "exchange of experience in education." in flat
    flat = " ".join(Renderer(db.session, LetterKind.PROPOSAL).render(none).text.split())
    assert "exchange of experience" not in flat


def test_female_signatory_titles(settings: Any, make_candidate: Any) -> None:
    m = make_candidate("Titles", "DE", "de")
    assert "Bürgermeisterin der Stadt Mena" in Renderer(db.session, "proposal").render(m).text
    office.update(db.session, {"signatory_gender": "m"})
    db.session.commit()
    assert "Bürgermeister der Stadt Mena" in Renderer(db.session, "proposal").render(m).text


def test_the_signatory_is_transliterated_by_the_national_system(settings: Any) -> None:
    values = dict(office.values(db.session), signatory_name="Юлія Згурська")
    assert office.localized(values, "pl")["signatory_name"] == "Yuliia Zghurska"
    assert office.localized(values, "uk")["signatory_name"] == "Юлія Згурська"


def test_a_missing_signatory_gender_is_refused(app: Any) -> None:
    office.update(db.session, {"signatory_name": "Олена Коваленко"})
    db.session.commit()
    m = Municipality(name="Gender", country="PL", languages=["pl"], themes=[])
    with pytest.raises(RenderError, match="Gender \\(PL\\): signatory_gender"):
        Renderer(db.session, "proposal").render(m)


def test_a_name_in_the_wrong_script_is_refused(settings: Any) -> None:
    values = dict(office.values(db.session), names={"pl": {"town": "Мена"}})
    renderer = Renderer(db.session, "proposal", settings=values)
    m = Municipality(id=999, name="Script", country="PL", languages=["pl"], themes=[])
    with pytest.raises(RenderError, match="town for pl letters is 'Мена'"):
        renderer.render(m)
    region = Municipality(
        name="Region", country="PL", languages=["pl"], themes=[], region_local="Подкарпаття"
    )
    with pytest.raises(RenderError, match=r"candidate.region_local \(pl\)"):
        Renderer(db.session, "proposal").render(region)


def test_html_escapes_values_and_markup_in_values_stays_text(settings: Any) -> None:
    transient = Municipality(
        name="*Foo* <script>x</script>", country="PL", languages=["pl"], themes=[]
    )
    transient.contacts.append(Contact(name="<b>Bob</b>", email="b@x.example", gender="m"))
    out = Renderer(db.session, "proposal").render(transient)
    assert "<script>" not in out.html and "&lt;script&gt;" in out.html
    assert "<em>Foo</em>" not in out.html and "*Foo*" in out.html
    assert "*Foo* <script>x</script>" in " ".join(out.text.split())


def test_subject_with_line_break_is_an_error(settings: Any) -> None:
    transient = Municipality(name="Evil\r\nBcc: x@y.example", country="PL", languages=["pl"])
    with pytest.raises(RenderError, match="subject of proposal/pl contains a line break"):
        Renderer(db.session, "proposal").render(transient)


def test_unknown_placeholder_names_candidate_and_line(make_candidate: Any) -> None:
    m = make_candidate("Olaine", "LV", "lv")
    renderer = Renderer(db.session, "proposal")
    good = sources.active(db.session, "proposal", "lv")
    assert good is not None
    broken = good.text.replace("{{ contact.salutation }}", "{{ contact.nickname }}", 1)
    renderer.use_source(sources.Source("proposal", "lv", -1, None, broken))
    with pytest.raises(RenderError) as info:
        renderer.render(m)
    message = str(info.value)
    assert message.startswith("Olaine (LV): 'contact.nickname' is undefined in proposal/lv")
    assert message.endswith("line 5")
    assert info.value.candidate_id == m.id


def test_oversized_letter_is_an_error(make_candidate: Any) -> None:
    m = make_candidate("Big", "PL", "pl")
    renderer = Renderer(db.session, "proposal")
    source = "Subject: Hi\n\n{% for i in range(1000) %}{{ 'x' * 250 }}{% endfor %}\n"
    renderer.use_source(sources.Source("proposal", "pl", -1, None, source))
    with pytest.raises(RenderError):
        renderer.render(m)


def test_a_follow_up_needs_a_first_letter(make_candidate: Any) -> None:
    m = make_candidate("Silent", "PL", "pl")
    with pytest.raises(RenderError, match="no first letter was sent"):
        Renderer(db.session, LetterKind.FOLLOW_UP).render(m)


def test_the_two_follow_ups_are_different_letters(make_candidate: Any) -> None:
    m = make_candidate("Twice", "GB", "en")
    first = Renderer(db.session, LetterKind.FOLLOW_UP, sample_first_letter=True).render(m)
    second = Renderer(db.session, LetterKind.SECOND_FOLLOW_UP, sample_first_letter=True).render(m)
    assert first.subject == second.subject and first.subject.startswith("Re: Proposal for")
    body = lambda t: t.split("\n\n", 2)[2]  # noqa: E731 - after the date and the salutation
    assert body(first.text)[:200] != body(second.text)[:200]


def test_why_we_write_says_why_the_town_was_suggested(make_candidate: Any) -> None:
    from outreach.discovery.models import Suggestion

    m = make_candidate("Suggested", "GB", "en", themes="education")
    db.session.add(
        Suggestion(
            municipality_id=m.id,
            town_id=1,
            score=80,
            reasons=[
                {"factor": "population", "points": 45.0, "weight": 50},
                {"factor": "themes", "points": 12.0, "weight": 15, "shared": ["education"]},
                {"factor": "distance", "points": 1.0, "weight": 15},
            ],
        )
    )
    db.session.commit()
    flat = " ".join(Renderer(db.session, LetterKind.PROPOSAL).render(m).text.split())
    assert (
        "We chose to write to you because our communities are of a similar size and we share "
        "an interest in education." in flat
    )
