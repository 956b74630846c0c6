"""The town's own name, and numbers as the letter's language writes them."""

from datetime import date

from outreach.letters import office
from outreach.letters.context import LanguageData, build

WUZHEN = {
    "name": "Wuzhen",
    "name_local": "乌镇",
    "country": "CN",
    "population": 60000,
    "themes": ["tourism"],
    "languages": ["zh"],
}
DABROWA = {
    "name": "Dąbrowa",
    "name_local": "Gmina Dąbrowa",
    "country": "PL",
    "population": 6000,
    "themes": ["agriculture"],
    "languages": ["pl"],
}


def context(language, candidate):
    data = LanguageData(language, office.defaults(), date(2026, 11, 27))
    return build(data, candidate, None)


def test_the_local_name_is_used_in_the_towns_own_language_only():
    assert context("pl", DABROWA)["candidate"]["name_local"] == "Gmina Dąbrowa"
    assert context("en", WUZHEN)["candidate"]["name_local"] == "Wuzhen"


def test_numbers_are_written_as_the_language_writes_them():
    assert context("en", WUZHEN)["candidate"]["population"] == "60,000"
    assert context("de", DABROWA)["candidate"]["population"] == "6.000"
    assert context("pl", DABROWA)["us"]["population"].replace("\u00a0", " ") == "40 000"
