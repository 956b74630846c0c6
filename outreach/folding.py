"""Accent folding: one comparable form of a name, whatever its accents or script.

``fold("Żyraków") == fold("zyrakow") == "zyrakow"``. Letters that plain Unicode
decomposition leaves alone are transliterated too (``Ł`` → ``l``, ``ß`` → ``ss``,
``Ø`` → ``o``), and other scripts are romanised (``Мена`` → ``mena``, ``乌镇`` → ``wuzhen``),
so a search typed on any keyboard finds the town. Punctuation and runs of spaces become one
space: ``fold("Friedberg (Hessen)") == "friedberg hessen"``.
"""

from __future__ import annotations

import re

from anyascii import anyascii

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str | None) -> str:
    """``text`` in lower-case ASCII letters and digits separated by single spaces."""
    if not text:
        return ""
    return _NOT_ALNUM.sub(" ", anyascii(text).lower()).strip()


def same(a: str | None, b: str | None) -> bool:
    """Whether two names are the same once folded (empty names are never the same)."""
    folded = fold(a)
    return bool(folded) and folded == fold(b)
