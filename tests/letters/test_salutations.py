"""Formal salutations per language: fallback, named male mayor, named female, unknown gender."""

from __future__ import annotations

import pytest

from outreach.letters.salutations import FALLBACKS, salutation

LANGUAGES = ("uk", "en", "pl", "de", "it", "fr", "lv", "lt", "es", "cs", "ro")


@pytest.mark.parametrize("language", LANGUAGES)
def test_fallback_without_any_information(language: str) -> None:
    assert salutation(language) == FALLBACKS[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_trailing_punctuation(language: str) -> None:
    for args in (("Anna Nowak", "Mayor", "f"), ("Jan Kowalski", "", "m"), ("", "", "")):
        text = salutation(language, *args)
        assert text == text.strip()
        assert text[-1] not in ",.!:;"


def test_fallback_values() -> None:
    assert FALLBACKS["uk"] == "Шановні пані та панове"
    assert FALLBACKS["en"] == "Dear Sir or Madam"
    assert FALLBACKS["pl"] == "Szanowni Państwo"
    assert FALLBACKS["de"] == "Sehr geehrte Damen und Herren"
    assert FALLBACKS["fr"] == "Madame, Monsieur"


# Named male mayor, with the role typed in the recipient's language.
@pytest.mark.parametrize(
    ("language", "name", "role", "expected"),
    [
        ("uk", "Іван Петренко", "Міський голова", "Шановний пане міський голово"),
        ("en", "John Smith", "Mayor", "Dear Mayor Smith"),
        ("pl", "Jan Kowalski", "Burmistrz Miasta i Gminy", "Szanowny Panie Burmistrzu"),
        ("pl", "Jan Kowalski", "Wójt Gminy Żyraków", "Szanowny Panie Wójcie"),
        ("pl", "Jan Kowalski", "Prezydent Miasta", "Szanowny Panie Prezydencie"),
        ("pl", "Jan Kowalski", "Mayor", "Szanowny Panie Burmistrzu"),
        ("de", "Hans Müller", "Bürgermeister", "Sehr geehrter Herr Bürgermeister Müller"),
        (
            "de",
            "Dr. Hans Müller",
            "Oberbürgermeister",
            "Sehr geehrter Herr Oberbürgermeister Dr. Müller",
        ),
        ("it", "Mario Rossi", "Sindaco di Casteltermini", "Egregio Signor Sindaco"),
        ("fr", "Jean Dupont", "Maire", "Monsieur le Maire"),
        ("lv", "Andris Bērziņš", "domes priekšsēdētājs", "Godātais priekšsēdētāja kungs"),
        ("lt", "Jonas Petraitis", "meras", "Gerbiamas Mere"),
        ("es", "Juan García", "Alcalde", "Estimado señor alcalde"),
        ("cs", "Jan Novák", "starosta", "Vážený pane starosto"),
        ("cs", "Jan Novák", "primátor", "Vážený pane primátore"),
        ("ro", "Ion Popescu", "Primar", "Stimate domnule primar"),
    ],
)
def test_named_male_mayor(language: str, name: str, role: str, expected: str) -> None:
    assert salutation(language, name, role, "m") == expected


# Named woman: as mayor, and in another role.
@pytest.mark.parametrize(
    ("language", "name", "role", "expected"),
    [
        ("uk", "Олена Коваль", "Mayor", "Шановна пані міська голово"),
        ("uk", "Олена Коваль", "Секретар ради", "Шановна пані Коваль"),
        ("en", "Jane Smith", "Mayor", "Dear Mayor Smith"),
        ("en", "Jane Smith", "Head of international relations", "Dear Ms Smith"),
        ("pl", "Anna Nowak", "Burmistrz", "Szanowna Pani Burmistrz"),
        ("pl", "Anna Nowak", "Wójt", "Szanowna Pani Wójt"),
        ("pl", "Anna Nowak", "Sekretarz Gminy", "Szanowna Pani"),
        ("de", "Eva Schmidt", "Bürgermeisterin", "Sehr geehrte Frau Bürgermeisterin Schmidt"),
        ("de", "Eva Schmidt", "Partnerschaftsbeauftragte", "Sehr geehrte Frau Schmidt"),
        ("it", "Maria Bianchi", "Sindaca", "Gentile Signora Sindaca"),
        ("it", "Maria Bianchi", "Assessore", "Gentile Signora Bianchi"),
        ("fr", "Marie Martin", "Maire de Friedberg", "Madame la Maire"),
        ("fr", "Marie Martin", "Directrice générale des services", "Madame"),
        ("lv", "Inga Ozola", "domes priekšsēdētāja", "Godātā priekšsēdētājas kundze"),
        ("lv", "Inga Ozola", "projektu vadītāja", "Godātā kundze"),
        ("lt", "Ona Petraitė", "merė", "Gerbiama Mere"),
        ("es", "Ana López", "Alcaldesa", "Estimada señora alcaldesa"),
        ("es", "Ana López", "Concejala", "Estimada señora López"),
        ("cs", "Jana Nová", "starostka", "Vážená paní starostko"),
        ("ro", "Maria Ionescu", "Primar", "Stimată doamnă primar"),
        ("ro", "Maria Ionescu", "Consilier", "Stimată doamnă Ionescu"),
    ],
)
def test_named_female(language: str, name: str, role: str, expected: str) -> None:
    assert salutation(language, name, role, "f") == expected


# A name but no gender: a name-only formal form where the language has one, else fallback.
@pytest.mark.parametrize(
    ("language", "name", "role", "expected"),
    [
        ("en", "John Smith", "Mayor", "Dear Mayor Smith"),
        ("en", "John Smith", "Head of international relations", "Dear John Smith"),
        ("en", "Smith", "", "Dear Sir or Madam"),
        ("it", "Mario Rossi", "", "Gentile Mario Rossi"),
        ("uk", "Іван Петренко", "Mayor", "Шановні пані та панове"),
        ("pl", "Jan Kowalski", "Burmistrz", "Szanowni Państwo"),
        ("de", "Hans Müller", "Bürgermeister", "Sehr geehrte Damen und Herren"),
        ("fr", "Jean Dupont", "Maire", "Madame, Monsieur"),
        ("lv", "Andris Bērziņš", "mērs", "Godātās dāmas un godātie kungi"),
        ("lt", "Jonas Petraitis", "meras", "Gerbiamieji"),
        ("es", "Juan García", "Alcalde", "Estimados señores y señoras"),
        ("cs", "Jan Novák", "starosta", "Vážené dámy, vážení pánové"),
        ("ro", "Ion Popescu", "Primar", "Stimate doamne și stimați domni"),
    ],
)
def test_named_unknown_gender(language: str, name: str, role: str, expected: str) -> None:
    assert salutation(language, name, role, "") == expected


def test_unknown_language_follows_english() -> None:
    assert salutation("xx") == "Dear Sir or Madam"
    assert salutation("sv", "Anna Berg", "Mayor", "f") == "Dear Mayor Berg"
    assert salutation("nl", "Jan Visser", "", "m") == "Dear Mr Visser"


def test_language_and_gender_are_normalised() -> None:
    assert salutation("de-AT", "Hans Huber", "Bürgermeister", "M") == (
        "Sehr geehrter Herr Bürgermeister Huber"
    )
    assert salutation("PL", "Anna Nowak", "burmistrz", "female") == "Szanowna Pani Burmistrz"


def test_surname_is_last_word_and_whitespace_is_collapsed() -> None:
    assert salutation("en", "  Mary   Ann  Jones ", "", "f") == "Dear Ms Jones"


def test_role_words_inside_other_words_do_not_count() -> None:
    assert salutation("it", "Mario Rossi", "Segretario del sindacato", "m") == (
        "Egregio Signor Rossi"
    )
    assert salutation("ro", "Ion Pop", "Primary school head", "m") == "Stimate domnule Pop"
    assert salutation("uk", "Іван Петренко", "Адміністратор мережі", "m") == (
        "Шановний пане Петренко"
    )
