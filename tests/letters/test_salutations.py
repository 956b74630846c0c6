"""The salutation rules, case by case: (language, name, role, gender, languages) → salutation."""

from __future__ import annotations

import pytest

from outreach.letters import languages
from outreach.letters.salutations import is_mayor, salutation, split_name

CASES: list[tuple[str, str, str, str, str, str]] = [
    # language, name, role, gender, name-order languages ("" = none), expected
    # English: British forms for mayors, never a first name, no mixed scripts
    ("en", "Emma Clarke", "Mayor", "f", "", "Dear Madam Mayor"),
    ("en", "Robert Miller", "Mayor", "m", "", "Dear Mr Mayor"),
    ("en", "Robert Miller", "Mayor", "", "", "Dear Mayor Miller"),
    ("en", "", "Mayor", "", "", "Dear Mayor"),
    ("en", "John Smith", "", "m", "", "Dear Mr Smith"),
    ("en", "Jane Smith", "", "f", "", "Dear Ms Smith"),
    ("en", "Jane Smith", "", "", "", "Dear Jane Smith"),
    ("en", "", "", "m", "", "Dear Sir"),
    ("en", "", "", "f", "", "Dear Madam"),
    ("en", "", "", "", "", "Dear Sir or Madam"),
    ("en", "John Smith", "Deputy Mayor", "m", "", "Dear Mr Smith"),
    ("en", "John Smith", "Assistant to the Mayor", "m", "", "Dear Mr Smith"),
    ("en", "Ann Lee", "Office of the Mayor", "f", "", "Dear Ms Lee"),
    ("en", "Ann Lee", "Lord Mayor", "f", "", "Dear Madam Mayor"),
    ("en", "関口 健", "市長", "m", "ja", "Dear Mr Mayor"),
    ("en", "関口 健", "", "m", "ja", "Dear Sir"),
    ("en", "王丽", "镇长", "f", "zh", "Dear Madam Mayor"),
    ("en", "王丽", "", "f", "zh", "Dear Madam"),
    ("en", "王丽", "", "", "zh", "Dear Sir or Madam"),
    ("en", "", "十日町市長", "", "ja", "Dear Mayor"),
    ("en", "", "副市長", "", "ja", "Dear Sir or Madam"),
    ("en", "Nagy Katalin", "", "f", "hu", "Dear Ms Nagy"),
    ("en", "Katalin Nagy", "International relations officer", "f", "en", "Dear Ms Nagy"),
    ("en", "Nagy Katalin", "polgármester", "", "hu", "Dear Mayor Nagy"),
    ("en", "Kaisa Tamm", "vallavanem", "f", "et", "Dear Madam Mayor"),
    ("en", "Kaisa Tamm", "abivallavanem", "f", "et", "Dear Ms Tamm"),
    ("en", "Paulo Fernandes", "Presidente da Câmara Municipal", "m", "pt", "Dear Mr Mayor"),
    ("en", "Paulo Fernandes", "Vereador", "m", "pt", "Dear Mr Fernandes"),
    ("en", "Jan de Vries", "burgemeester", "m", "nl", "Dear Mr Mayor"),
    ("en", "Jan de Vries", "loco-burgemeester", "m", "nl", "Dear Mr Vries"),
    ("en", "Mikko Virtanen", "kaupunginjohtaja", "m", "fi", "Dear Mr Mayor"),
    ("en", "Andris Bērziņš", "domes priekšsēdētājs", "m", "lv", "Dear Mr Mayor"),
    ("en", "Олена Коваленко", "", "f", "uk", "Dear Madam"),
    ("en", "Dr. Anna Schmidt", "", "f", "de", "Dear Ms Schmidt"),
    # Ukrainian: vocative of Cyrillic names, never a Latin name
    ("uk", "Тарас Шевченко", "", "m", "uk", "Шановний пане Шевченку"),
    ("uk", "Олена Коваленко", "", "f", "uk", "Шановна пані Коваленко"),
    ("uk", "Іван Петренко", "міський голова", "m", "uk", "Шановний пане міський голово"),
    ("uk", "Марія Петренко", "міська голова", "f", "uk", "Шановна пані міська голово"),
    ("uk", "Іван Петренко", "сільський голова", "m", "uk", "Шановний пане сільський голово"),
    ("uk", "Ганна Бойко", "селищна голова", "f", "uk", "Шановна пані селищна голово"),
    ("uk", "Іван Петренко", "заступник міського голови", "m", "uk", "Шановний пане Петренку"),
    ("uk", "Іван Петренко", "секретар міської ради", "m", "uk", "Шановний пане Петренку"),
    ("uk", "Tadeusz Nowak", "", "m", "pl", "Шановний пане"),
    ("uk", "Tadeusz Nowak", "Wójt Gminy", "m", "pl", "Шановний пане мере"),
    ("uk", "Emma Clarke", "Mayor", "f", "en", "Шановна пані мер"),
    ("uk", "", "", "", "", "Шановні пані та панове"),
    ("uk", "Тарас Шевченко", "", "", "uk", "Шановні пані та панове"),
    # Polish: title by office, never a surname
    ("pl", "Marek Wiśniewski", "Wójt Gminy", "m", "pl", "Szanowny Panie Wójcie"),
    ("pl", "Anna Nowak", "Wójt Gminy", "f", "pl", "Szanowna Pani Wójt"),
    ("pl", "Jan Kowalski", "Burmistrz Miasta i Gminy", "m", "pl", "Szanowny Panie Burmistrzu"),
    ("pl", "Ewa Kowalska", "burmistrz", "f", "pl", "Szanowna Pani Burmistrz"),
    ("pl", "Jan Kowalski", "Prezydent Miasta", "m", "pl", "Szanowny Panie Prezydencie"),
    ("pl", "Ewa Kowalska", "Prezydent Miasta", "f", "pl", "Szanowna Pani Prezydent"),
    ("pl", "Jan Kowalski", "Zastępca Burmistrza", "m", "pl", "Szanowny Panie"),
    ("pl", "Ewa Kowalska", "Sekretarz Gminy", "f", "pl", "Szanowna Pani"),
    ("pl", "Jan Kowalski", "Asystent Wójta", "m", "pl", "Szanowny Panie"),
    ("pl", "", "Wójt Gminy", "", "pl", "Szanowni Państwo"),
    ("pl", "Emma Clarke", "Mayor", "f", "en", "Szanowna Pani Burmistrz"),
    ("pl", "", "", "", "", "Szanowni Państwo"),
    # German: feminine titles, academic titles kept
    ("de", "Klaus Becker", "Bürgermeister", "m", "de", "Sehr geehrter Herr Bürgermeister Becker"),
    (
        "de",
        "Anna Schmidt",
        "Bürgermeisterin",
        "f",
        "de",
        "Sehr geehrte Frau Bürgermeisterin Schmidt",
    ),
    (
        "de",
        "Dr. Klaus Becker",
        "Bürgermeister",
        "m",
        "de",
        "Sehr geehrter Herr Bürgermeister Dr. Becker",
    ),
    (
        "de",
        "Anna Schmidt",
        "Oberbürgermeisterin",
        "f",
        "de",
        "Sehr geehrte Frau Oberbürgermeisterin Schmidt",
    ),
    ("de", "", "Bürgermeister", "m", "de", "Sehr geehrter Herr Bürgermeister"),
    (
        "de",
        "",
        "Bürgermeisterin",
        "",
        "de",
        "Sehr geehrte Frau Bürgermeisterin, sehr geehrter Herr Bürgermeister",
    ),
    (
        "de",
        "Klaus Becker",
        "Stellvertretender Bürgermeister",
        "m",
        "de",
        "Sehr geehrter Herr Becker",
    ),
    ("de", "Anna Schmidt", "Büro des Bürgermeisters", "f", "de", "Sehr geehrte Frau Schmidt"),
    ("de", "Anna Schmidt", "Bürgermeisteramt", "f", "de", "Sehr geehrte Frau Schmidt"),
    ("de", "Urs Meier", "Gemeindepräsident", "m", "de", "Sehr geehrter Herr Präsident Meier"),
    ("de", "Anna Schmidt", "", "", "de", "Sehr geehrte Damen und Herren"),
    ("de", "", "", "", "", "Sehr geehrte Damen und Herren"),
    # Italian
    ("it", "Mario Rossi", "Sindaco", "m", "it", "Egregio Signor Sindaco"),
    ("it", "Giuseppa Russo", "Sindaca", "f", "it", "Gentile Signora Sindaca"),
    ("it", "", "Sindaco", "", "it", "Gentile Sindaco"),
    ("it", "Mario Rossi", "Vicesindaco", "m", "it", "Egregio Signor Rossi"),
    ("it", "Mario Rossi", "Vice Sindaco", "m", "it", "Egregio Signor Rossi"),
    ("it", "Anna Bianchi", "Assessore alla cultura", "f", "it", "Gentile Signora Bianchi"),
    ("it", "Anna Bianchi", "", "", "it", "Gentile Anna Bianchi"),
    ("it", "", "", "", "", "Gentili Signore e Signori"),
    # French: never a surname; adjoints are not the mayor
    ("fr", "Sophie Le Gall", "Maire", "f", "fr", "Madame la Maire"),
    ("fr", "Jean Dupont", "Maire", "m", "fr", "Monsieur le Maire"),
    ("fr", "", "Maire", "", "fr", "Madame, Monsieur le Maire"),
    ("fr", "Jean Dupont", "Adjoint au maire", "m", "fr", "Monsieur l'Adjoint au Maire"),
    (
        "fr",
        "Sophie Le Gall",
        "adjointe au maire chargée de la culture",
        "f",
        "fr",
        "Madame l'Adjointe au Maire",
    ),
    ("fr", "Jean Dupont", "Premier adjoint", "m", "fr", "Monsieur l'Adjoint au Maire"),
    ("fr", "Luc Peeters", "Bourgmestre", "m", "fr", "Monsieur le Bourgmestre"),
    ("fr", "Anne Favre", "Syndique", "f", "fr", "Madame la Syndique"),
    (
        "fr",
        "Jean Dupont",
        "Président de la communauté de communes",
        "m",
        "fr",
        "Monsieur le Président",
    ),
    ("fr", "Jean Dupont", "Conseiller municipal", "m", "fr", "Monsieur"),
    ("fr", "", "", "", "", "Madame, Monsieur"),
    # Spanish
    ("es", "Javier Martínez", "Alcalde", "m", "es", "Estimado señor alcalde"),
    ("es", "Lucía García", "Alcaldesa", "f", "es", "Estimada señora alcaldesa"),
    ("es", "", "Alcalde", "", "es", "Estimado alcalde o alcaldesa"),
    ("es", "Javier Martínez", "Teniente de alcalde", "m", "es", "Estimado señor Martínez"),
    ("es", "Lucía García", "Concejala de Cultura", "f", "es", "Estimada señora García"),
    ("es", "", "", "", "", "Estimados señores y señoras"),
    # Czech: vocative titles, never a surname
    ("cs", "Jana Dvořáková", "starostka", "f", "cs", "Vážená paní starostko"),
    ("cs", "Petr Novák", "starosta", "m", "cs", "Vážený pane starosto"),
    ("cs", "Petr Novák", "primátor", "m", "cs", "Vážený pane primátore"),
    ("cs", "Jana Dvořáková", "primátorka", "f", "cs", "Vážená paní primátorko"),
    ("cs", "Petr Novák", "místostarosta", "m", "cs", "Vážený pane"),
    ("cs", "", "starosta", "", "cs", "Vážená paní starostko, vážený pane starosto"),
    ("cs", "", "", "", "", "Vážené dámy, vážení pánové"),
    # Latvian: the council chair, never a surname (it would need declining)
    ("lv", "Andris Bērziņš", "domes priekšsēdētājs", "m", "lv", "Godātais priekšsēdētāja kungs"),
    ("lv", "Inese Kalniņa", "domes priekšsēdētāja", "f", "lv", "Godātā priekšsēdētājas kundze"),
    ("lv", "Andris Bērziņš", "domes priekšsēdētāja vietnieks", "m", "lv", "Godātais kungs"),
    ("lv", "Andris Bērziņš", "mērs", "m", "lv", "Godātais mēra kungs"),
    ("lv", "", "", "", "", "Godātās dāmas un godātie kungi"),
    # Lithuanian
    ("lt", "Tomas Kazlauskas", "meras", "m", "lt", "Gerbiamas mere"),
    ("lt", "Rasa Petrauskienė", "merė", "f", "lt", "Gerbiama mere"),
    ("lt", "Tomas Kazlauskas", "mero pavaduotojas", "m", "lt", "Gerbiamas pone"),
    ("lt", "", "meras", "", "lt", "Gerbiamas (-a) mere"),
    ("lt", "", "", "", "", "Gerbiamieji"),
    # Romanian
    ("ro", "Ion Popescu", "Primar", "m", "ro", "Stimate domnule primar"),
    ("ro", "Maria Ionescu", "Primar", "f", "ro", "Stimată doamnă primar"),
    ("ro", "Ion Popescu", "Viceprimar", "m", "ro", "Stimate domnule Popescu"),
    ("ro", "Maria Ionescu", "", "f", "ro", "Stimată doamnă Ionescu"),
    ("ro", "", "", "", "", "Stimate doamne și stimați domni"),
]


@pytest.mark.parametrize(("language", "name", "role", "gender", "order", "expected"), CASES)
def test_salutation(
    language: str, name: str, role: str, gender: str, order: str, expected: str
) -> None:
    assert salutation(language, name, role, gender, [order] if order else []) == expected


def test_there_are_over_a_hundred_cases() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize(
    "role",
    ["Deputy Mayor", "Vice-Mayor", "zastępca wójta", "adjoint au maire", "Vicesindaco",
     "Teniente de alcalde", "místostarosta", "viceprimar", "mero pavaduotojas",
     "priekšsēdētāja vietnieks", "заступник міського голови", "Assistant to the Mayor",
     "Stellvertretende Bürgermeisterin", "alpolgármester", "abilinnapea", "副市長"],
)  # fmt: skip
def test_deputies_and_assistants_are_not_mayors(role: str) -> None:
    assert not is_mayor(role)


@pytest.mark.parametrize(
    "role",
    ["Mayor", "Wójt Gminy", "Burmistrz", "Bürgermeisterin", "Sindaca", "Maire", "Alcaldesa",
     "starostka", "Primar", "meras", "domes priekšsēdētājs", "міський голова", "vallavanem",
     "linnapea", "polgármester", "Presidente da Câmara Municipal", "burgemeester", "市長", "镇长"],
)  # fmt: skip
def test_mayors_are_recognised_in_every_language(role: str) -> None:
    assert is_mayor(role)


def test_names_are_split_in_their_order() -> None:
    assert split_name("関口 健", family_first=True) == ("", "健", "関口")
    assert split_name("王丽", family_first=True) == ("", "丽", "王")
    assert split_name("Nagy Katalin", family_first=True) == ("", "Katalin", "Nagy")
    assert split_name("Dr. Klaus Becker", family_first=False) == ("Dr.", "Klaus", "Becker")


def test_every_shipped_language_ends_with_a_rule_that_always_applies() -> None:
    for language in languages.all_languages():
        if not language.complete:
            continue
        last = language.salutations[-1]
        assert set(last) <= {"text", "unnamed"}, language.code
        assert "{" not in last["text"], language.code


def test_a_salutation_never_mixes_scripts() -> None:
    for language in languages.all_languages():
        if not language.complete:
            continue
        for name in ("関口 健", "Tadeusz Nowak", "Тарас Шевченко", "王丽"):
            for gender in ("m", "f", ""):
                text = salutation(language.code, name, "", gender, [])
                assert languages.in_script(text, language.script), (language.code, name, text)
