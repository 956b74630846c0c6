"""The Ukrainian catalog covers every string the interface shows."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "outreach" / "translations" / "uk" / "LC_MESSAGES" / "messages.po"
METHODS = [("outreach/**.py", "python"), ("outreach/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_interface_string_has_a_ukrainian_translation():
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    missing = sorted(s for s in source_messages() if s not in translated)
    empty = sorted(
        k
        for k, m in translated.items()
        if not (m.string if isinstance(m.string, str) else m.string[0])
    )
    fuzzy = sorted(k for k, m in translated.items() if m.fuzzy)
    assert not missing, f"not in the catalog: {missing[:20]}"
    assert not empty, f"untranslated: {empty[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"


def test_the_interface_speaks_ukrainian(client):
    response = client.get("/login", headers={"Accept-Language": "uk"})
    assert "Увійти" in response.get_data(as_text=True)
