"""Text taken from incoming mail: storable in any database, the part the sender wrote, and
plain text from an HTML body."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

#: Languages whose reply headers ("On … wrote:", "Am … schrieb") the quote stripper knows.
QUOTE_LANGUAGES = ("en", "de", "pl", "it", "fr", "cs", "es")

_QUOTED = re.compile(r"(?:\n[ \t]*>[^\n]*)+\s*$")
_ATTRIBUTION = re.compile(r"\n[^\n]*:[ \t]*$")
_SEPARATOR = re.compile(r"\n[ \t]*(?:-{3,}[^\n]*-{3,}|_{5,})[ \t]*$")
_reply_parser = EmailReplyParser(languages=list(QUOTE_LANGUAGES))


def storable(text: str) -> str:
    """``text`` as any database stores it: NUL characters removed, bytes that the mail
    parser kept as surrogates decoded as UTF-8 where they are, replaced where they are not."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def reply_text(text: str) -> str:
    """What the sender wrote above the quoted letter ("On … wrote:" and what follows, "> "
    lines, a trailing signature), by the quote stripper; the whole text when nothing is left."""
    try:
        own = _reply_parser.parse_reply(text) or ""
    except (re.error, RecursionError, IndexError):
        own = ""
    own = own.strip()
    # Attributions the stripper does not know ("W dniu … pisze:") still precede "> " lines.
    while True:
        shorter = _QUOTED.sub("", own)
        shorter = _ATTRIBUTION.sub("", shorter) if shorter != own else shorter
        shorter = _SEPARATOR.sub("", shorter).rstrip()
        if shorter == own:
            break
        own = shorter
    return own or text


class _TextExtractor(HTMLParser):
    _BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
