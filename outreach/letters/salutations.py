"""Formal salutations for cooperation letters, per language.

``salutation(language, name, role, gender)`` returns the opening line of a letter *without*
its trailing punctuation (the letter template adds "," or "!" or ":" as the language wants).

Rules, in order, for every language:

1. the contact is a mayor (``role`` looks like one in any language) and the language has a
   formal way to address a mayor with what we know -> that form ("Sehr geehrter Herr
   Bürgermeister Müller", "Monsieur le Maire", "Dear Mayor Smith");
2. the gender is known -> the formal personal form ("Dear Ms Smith", "Szanowna Pani");
3. only a full name is known and the language has a gender-neutral formal form with a name
   (English "Dear John Smith", Italian "Gentile Mario Rossi") -> that form;
4. otherwise the formal collective fallback from ``FALLBACKS`` ("Sehr geehrte Damen und
   Herren").

The surname is the last whitespace-separated word of ``name``. Languages whose formal
salutation would need the surname declined (Latvian, Lithuanian, Czech, Ukrainian with
foreign names) use forms without it. An unknown language follows the English rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

FALLBACKS: dict[str, str] = {
    "uk": "Шановні пані та панове",
    "en": "Dear Sir or Madam",
    "pl": "Szanowni Państwo",
    "de": "Sehr geehrte Damen und Herren",
    "it": "Gentili Signore e Signori",
    "fr": "Madame, Monsieur",
    "lv": "Godātās dāmas un godātie kungi",
    "lt": "Gerbiamieji",
    "es": "Estimados señores y señoras",
    "cs": "Vážené dámy, vážení pánové",
    "ro": "Stimate doamne și stimați domni",
}

# Titles of the head of a municipality, in the languages staff are likely to type, as
# regular expressions matched case-insensitively from the start of a word anywhere in the
# role ("Mayor of Olaine", "Wójt Gminy Żyraków", "Olaines novada domes priekšsēdētājs").
_MAYOR_PATTERNS = (
    r"mayor",
    r"burgomaster",
    r"burmistrz",
    r"w[óo]jt",
    r"prezydent",
    r"(?:ober)?b(?:ü|ue)rgermeister",
    r"sindac[oa]\b",
    r"maire\b",
    r"m[ēe]r[se]\b",
    r"priekšsēdētāj",
    r"mer(?:as|ė|o|e|ui)\b",
    r"alcald",
    r"starost(?:a|ka|ko|o)\b",
    r"prim[áa]tor",
    r"primar(?:ul|ele)?\b",
    r"prim[ăa]ri[țt][ăa]",
    r"(?:міськ|селищн|сільськ)(?:ий|а) голов",
    r"голова (?:громади|ради)",
    r"мер\b",
)
_MAYOR_RE = re.compile(r"(?<!\w)(?:" + "|".join(_MAYOR_PATTERNS) + r")", re.IGNORECASE)
# German compounds ("Erster Bürgermeister", "Oberbürgermeisterin") count wherever they stand.
_GERMAN_MAYOR_RE = re.compile(r"b(?:ü|ue)rgermeister", re.IGNORECASE)


@dataclass(frozen=True)
class Contact:
    """What we know about the recipient, normalised."""

    name: str
    role: str
    gender: str  # "m", "f" or ""

    @property
    def surname(self) -> str:
        parts = self.name.split()
        return parts[-1] if parts else ""

    @property
    def full_name(self) -> str:
        """The name when it has at least two words (a first name and a surname)."""
        return self.name if len(self.name.split()) >= 2 else ""

    @property
    def role_lower(self) -> str:
        return self.role.lower()

    @property
    def is_mayor(self) -> bool:
        return bool(_MAYOR_RE.search(self.role) or _GERMAN_MAYOR_RE.search(self.role))


def _en(c: Contact) -> str | None:
    if c.is_mayor:
        return f"Dear Mayor {c.surname}" if c.surname else "Dear Mayor"
    if c.gender == "m":
        return f"Dear Mr {c.surname}" if c.surname else "Dear Sir"
    if c.gender == "f":
        return f"Dear Ms {c.surname}" if c.surname else "Dear Madam"
    return f"Dear {c.full_name}" if c.full_name else None


def _uk(c: Contact) -> str | None:
    if c.gender == "m":
        if c.is_mayor:
            return "Шановний пане міський голово"
        return f"Шановний пане {c.surname}".strip()
    if c.gender == "f":
        if c.is_mayor:
            return "Шановна пані міська голово"
        return f"Шановна пані {c.surname}".strip()
    return None


def _pl(c: Contact) -> str | None:
    if c.gender not in ("m", "f"):
        return None
    if c.is_mayor:
        role = c.role_lower
        if "wójt" in role or "wojt" in role:
            return "Szanowny Panie Wójcie" if c.gender == "m" else "Szanowna Pani Wójt"
        if "prezydent" in role:
            return "Szanowny Panie Prezydencie" if c.gender == "m" else "Szanowna Pani Prezydent"
        return "Szanowny Panie Burmistrzu" if c.gender == "m" else "Szanowna Pani Burmistrz"
    return "Szanowny Panie" if c.gender == "m" else "Szanowna Pani"


def _academic_title(name: str) -> str:
    """German letters keep "Dr." / "Prof. Dr." before the surname."""
    titles = [w for w in name.split()[:-1] if w.lower().rstrip(".") in ("dr", "prof")]
    return " ".join(titles) + " " if titles else ""


def _de(c: Contact) -> str | None:
    if c.gender not in ("m", "f"):
        return None
    surname = c.surname
    if surname:
        surname = " " + _academic_title(c.name) + surname
    if c.is_mayor:
        title = "Oberbürgermeister" if "oberbürgermeister" in c.role_lower else "Bürgermeister"
        if c.gender == "m":
            return f"Sehr geehrter Herr {title}{surname}"
        return f"Sehr geehrte Frau {title}in{surname}"
    if not surname:
        return None
    return f"Sehr geehrter Herr{surname}" if c.gender == "m" else f"Sehr geehrte Frau{surname}"


def _it(c: Contact) -> str | None:
    if c.gender == "m":
        if c.is_mayor:
            return "Egregio Signor Sindaco"
        return f"Egregio Signor {c.surname}" if c.surname else "Egregio Signore"
    if c.gender == "f":
        if c.is_mayor:
            return "Gentile Signora Sindaca"
        return f"Gentile Signora {c.surname}" if c.surname else "Gentile Signora"
    # "Gentile" is the same for men and women.
    return f"Gentile {c.full_name}" if c.full_name else None


def _fr(c: Contact) -> str | None:
    if c.gender not in ("m", "f"):
        return None
    male = c.gender == "m"
    if c.is_mayor:
        return "Monsieur le Maire" if male else "Madame la Maire"
    if re.search(r"(?<!\w)présidente?", c.role_lower):
        return "Monsieur le Président" if male else "Madame la Présidente"
    # French letters never put the surname in the salutation.
    return "Monsieur" if male else "Madame"


def _lv(c: Contact) -> str | None:
    # A Latvian municipality is headed by the chairman of its council (domes priekšsēdētājs).
    # Surnames would have to be declined (Bērziņa kungs), so the forms go without them.
    if c.gender == "m":
        return "Godātais priekšsēdētāja kungs" if c.is_mayor else "Godātais kungs"
    if c.gender == "f":
        return "Godātā priekšsēdētājas kundze" if c.is_mayor else "Godātā kundze"
    return None


def _lt(c: Contact) -> str | None:
    # Lithuanian vocatives of foreign surnames are awkward, so the forms go without them.
    if c.gender == "m":
        return "Gerbiamas Mere" if c.is_mayor else "Gerbiamas Pone"
    if c.gender == "f":
        return "Gerbiama Mere" if c.is_mayor else "Gerbiama Ponia"
    return None


def _es(c: Contact) -> str | None:
    if c.gender == "m":
        if c.is_mayor:
            return "Estimado señor alcalde"
        return f"Estimado señor {c.surname}" if c.surname else "Estimado señor"
    if c.gender == "f":
        if c.is_mayor:
            return "Estimada señora alcaldesa"
        return f"Estimada señora {c.surname}" if c.surname else "Estimada señora"
    return None


def _cs(c: Contact) -> str | None:
    # Czech would decline the surname (pane Nováku), so the forms go without it.
    if c.gender not in ("m", "f"):
        return None
    male = c.gender == "m"
    if c.is_mayor:
        if "primátor" in c.role_lower or "primator" in c.role_lower:
            return "Vážený pane primátore" if male else "Vážená paní primátorko"
        return "Vážený pane starosto" if male else "Vážená paní starostko"
    return "Vážený pane" if male else "Vážená paní"


def _ro(c: Contact) -> str | None:
    if c.gender == "m":
        if c.is_mayor:
            return "Stimate domnule primar"
        return f"Stimate domnule {c.surname}" if c.surname else "Stimate domnule"
    if c.gender == "f":
        if c.is_mayor:
            return "Stimată doamnă primar"
        return f"Stimată doamnă {c.surname}" if c.surname else "Stimată doamnă"
    return None


RULES: dict[str, Callable[[Contact], str | None]] = {
    "uk": _uk,
    "en": _en,
    "pl": _pl,
    "de": _de,
    "it": _it,
    "fr": _fr,
    "lv": _lv,
    "lt": _lt,
    "es": _es,
    "cs": _cs,
    "ro": _ro,
}


def _normalise_language(language: str) -> str:
    code = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    return code if code in RULES else "en"


def _normalise_gender(gender: str) -> str:
    first = (gender or "").strip().lower()[:1]
    return first if first in ("m", "f") else ""


def salutation(language: str, name: str = "", role: str = "", gender: str = "") -> str:
    """The formal salutation for a letter in ``language``, without trailing punctuation."""
    code = _normalise_language(language)
    contact = Contact(
        name=" ".join((name or "").split()),
        role=" ".join((role or "").split()),
        gender=_normalise_gender(gender),
    )
    return RULES[code](contact) or FALLBACKS[code]
