"""One letter text, two parts: the small markup letters are written in, turned into the plain
text and the HTML body of a message.

A letter version is one text: a first line ``Subject: …``, a blank line, then the body::

    Subject: Cooperation proposal: {{ us.community }} and {{ candidate.name }}

    {{ contact.salutation }},

    We would *particularly* welcome an exchange of experience.
    A single line break inside a paragraph is kept.

    - a bullet point
    - [a link](https://example.org), a bare https://example.org or name@example.org

Paragraphs are separated by blank lines; ``*emphasis*``, ``**strong**``, ``[text](url)`` and
``- `` lists are the whole markup (markdown-it-py parses it; headings, quotes, code blocks and
raw HTML are off, so ``<b>`` shows as typed). ``{{ … }}`` are Jinja expressions evaluated in the
letter sandbox; every value they print is plain text, never markup, so a town called ``*Foo*``
or a web address with underscores stays as it is. A line or a paragraph made only of
placeholders that are all empty is left out, so optional sentences disappear cleanly.

How it is fast: the body is rendered by Jinja with each printed value replaced by a marker;
the markup of that skeleton (which changes only where ``{% if %}`` takes another branch) is
parsed once and kept, and each letter only fills the values into the parsed plan.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Template, pass_context
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import escape

from outreach.letters import sandbox
from outreach.letters.i18n import _

#: Column the plain-text part is wrapped at.
WIDTH = 76
#: Distinct skeletons (branches of ``{% if %}``) kept parsed per text.
MAX_PLANS = 64
#: Paragraphs kept made per paragraph of a text (by the values they show).
MAX_MADE = 512

_OPEN, _CLOSE = "\ue000", "\ue001"
_SLOT = re.compile(_OPEN + r"(\d+)" + _CLOSE)
_SLOT_ENCODED = re.compile(r"%EE%80%80(\d+)%EE%80%81")
_MARKERS = re.compile("[\ue000\ue001]")
_SUBJECT = re.compile(r"^Subject:[ \t]*(.*)$")

_MD = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True}).disable(
    [
        "heading",
        "lheading",
        "code",
        "fence",
        "blockquote",
        "hr",
        "html_block",
        "html_inline",
        "reference",
        "image",
        "backticks",
        "entity",
    ]
)
_MD.enable("linkify")
#: Reserved names (RFC 2606) count as domains too: demo and test addresses use them.
_RESERVED_TLDS = ["example", "test", "invalid", "localhost"]
_LINKIFY = LinkifyIt().tlds(_RESERVED_TLDS, True)
if _MD.linkify is not None:
    _MD.linkify.tlds(_RESERVED_TLDS, True)

_LINK_STYLE = "color:#1f4e8c;"
_P = '<p style="margin:0 0 14px;">'
_UL = '<ul style="margin:0 0 14px;padding-left:22px;">'
_OL = '<ol style="margin:0 0 14px;padding-left:22px;">'
LAYOUT = (
    '<div style="max-width:640px;margin:0 auto;font-family:Arial,Helvetica,sans-serif;'
    'font-size:15px;line-height:1.55;color:#1a1a1a;">\n{body}\n</div>'
)

#: What staff may write, for the editor page.
SYNTAX: tuple[tuple[str, str], ...] = (
    ("Subject: …", "the first line: the subject (then a blank line)"),
    ("a blank line", "starts a new paragraph; a single line break is kept as it is"),
    ("*text*", "emphasis (italics); in the plain text part, just the text"),
    ("**text**", "strong (bold)"),
    ("[text](https://…)", "a link; the plain text part shows “text <https://…>”"),
    ("https://… or name@example.org", "becomes a link by itself"),
    ("- ", "at the start of lines: a bulleted list"),
    ("{{ placeholder }}", "a value from the list below, always shown as plain text"),
)


class MarkupError(ValueError):
    """A letter text whose shape is wrong; the message names the line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Parts:
    """A letter text split into its subject and body; ``body_line`` is the body's first line."""

    subject: str
    body: str
    body_line: int


def split(text: str) -> Parts:
    """The subject line and the body of a letter text; raises :class:`MarkupError`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _MARKERS.search(text):
        raise MarkupError(_("the text contains reserved characters (U+E000, U+E001)"), 1)
    lines = text.split("\n")
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    found = _SUBJECT.match(lines[index]) if index < len(lines) else None
    if found is None:
        raise MarkupError(
            _("the first line must be the subject: Subject: … (line %(line)d)", line=index + 1),
            index + 1,
        )
    subject = found.group(1).strip()
    if not subject:
        raise MarkupError(_("the subject is empty (line %(line)d)", line=index + 1), index + 1)
    rest = lines[index + 1 :]
    if rest and rest[0].strip():
        raise MarkupError(
            _("leave a blank line after the subject (line %(line)d)", line=index + 2), index + 2
        )
    body = "\n".join(rest).strip("\n")
    if not body.strip():
        raise MarkupError(_("the letter has no body below the subject"), index + 2)
    # Line numbers of the body template are those of the whole text.
    skipped = len(rest) - len("\n".join(rest).lstrip("\n").split("\n"))
    return Parts(subject, body, index + 2 + skipped)


def join(subject: str, body: str) -> str:
    """A letter text from a subject and a body."""
    return f"Subject: {subject.strip()}\n\n{body.strip()}\n"


# --- rendering values -------------------------------------------------------------------------

_collector: ContextVar[list[str] | None] = ContextVar("letter_markup_values", default=None)


@pass_context
def finalize(context: Any, value: Any) -> Any:
    """Every printed value: refused when None and counted against the render's budget (the
    sandbox's own check); inside a body, kept aside behind a marker."""
    del context  # passed only so that Jinja never applies this while compiling
    value = sandbox.check_printed(value)
    values = _collector.get()
    if values is None:
        return value
    values.append(_MARKERS.sub("", str(value)))
    return f"{_OPEN}{len(values) - 1}{_CLOSE}"


def _html_value(value: str, link: bool = True) -> str:
    if link and ("@" in value or "://" in value or "www." in value):
        return _linkified_html(value)
    return str(escape(value)).replace("\n", "<br>\n")


def _linkified_html(text: str) -> str:
    matches = _LINKIFY.match(text) or []
    out: list[str] = []
    at = 0
    for m in matches:
        out.append(str(escape(text[at : m.index])))
        out.append(f'<a href="{escape(m.url)}" style="{_LINK_STYLE}">{escape(m.text)}</a>')
        at = m.last_index
    out.append(str(escape(text[at:])))
    return "".join(out).replace("\n", "<br>\n")


def _safe_href(url: str) -> str | None:
    url = url.strip()
    lowered = url.lower()
    if lowered.startswith(("https://", "http://", "mailto:")):
        return url
    if "@" in url and "/" not in url and ":" not in url:
        return "mailto:" + url
    return None


# --- the parsed plan --------------------------------------------------------------------------

# A piece of a line: literal (html, text), a slot, or a link around pieces.
Piece = Any


@dataclass
class _Link:
    href: str  # may hold encoded slots
    pieces: list[Piece] = field(default_factory=list)


@dataclass
class _Line:
    pieces: list[Piece]
    slots: tuple[int, ...]
    literal: bool  # any visible literal text


@dataclass
class _Block:
    kind: str  # "p", "ul", "ol"
    items: list[list[_Line]]  # a paragraph has one item
    #: Every value the block shows; with the values, the key of what it became.
    slots: tuple[int, ...] = ()
    #: ``{values: (html, text)}`` of letters already made: most paragraphs read the same in
    #: every letter of a batch (us, our partners, the signature).
    made: dict[tuple[str, ...], tuple[str, str] | None] = field(default_factory=dict)


def _text_pieces(text: str, slots: list[int]) -> list[Piece]:
    pieces: list[Piece] = []
    at = 0
    for m in _SLOT.finditer(text):
        if m.start() > at:
            pieces.append(("lit", text[at : m.start()]))
        number = int(m.group(1))
        slots.append(number)
        pieces.append(("slot", number))
        at = m.end()
    if at < len(text):
        pieces.append(("lit", text[at:]))
    return pieces


def _inline(token: Token) -> list[_Line]:
    lines: list[_Line] = []
    stack: list[list[Piece]] = [[]]
    slots: list[int] = []
    links: list[_Link] = []

    def end_line() -> None:
        pieces = stack[0]
        literal = any(p[0] == "lit" and p[1].strip() for p in _flat(pieces))
        lines.append(_Line(pieces, tuple(slots), literal))
        stack[0] = []
        slots.clear()

    for child in token.children or []:
        kind = child.type
        if kind == "text":
            if links:
                stack[-1].extend(_text_pieces(child.content, slots))
            else:
                stack[-1].extend(_fuzzy_links(child.content, slots))
        elif kind in ("softbreak", "hardbreak"):
            if len(stack) == 1:
                end_line()
            else:
                stack[-1].append(("lit", " "))
        elif kind in ("em_open", "strong_open"):
            stack[-1].append(("tag", "<em>" if kind == "em_open" else "<strong>"))
        elif kind in ("em_close", "strong_close"):
            stack[-1].append(("tag", "</em>" if kind == "em_close" else "</strong>"))
        elif kind == "link_open":
            href = str(child.attrs.get("href", ""))
            slots.extend(int(n) for n in _SLOT_ENCODED.findall(href))
            link = _Link(href)
            links.append(link)
            stack.append(link.pieces)
        elif kind == "link_close" and links:
            link = links.pop()
            stack.pop()
            stack[-1].append(("link", link))
        elif kind == "code_inline":
            stack[-1].append(("lit", child.content))
    end_line()
    return lines


def _flat(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for p in pieces:
        if p[0] == "link":
            out.append(("lit", "x"))
            out.extend(_flat(p[1].pieces))
        else:
            out.append(p)
    return out


def _fuzzy_links(text: str, slots: list[int]) -> list[Piece]:
    """Literal text with e-mail addresses and ``www.`` names made links (markdown-it links
    only addresses with a scheme)."""
    plain = _SLOT.sub(" ", text)
    if "@" not in plain and "www." not in plain:
        return _text_pieces(text, slots)
    matches = _LINKIFY.match(text) or []
    pieces: list[Piece] = []
    at = 0
    for m in matches:
        if _OPEN in m.raw or _CLOSE in m.raw:
            continue
        pieces.extend(_text_pieces(text[at : m.index], slots))
        pieces.append(("link", _Link(m.url, [("lit", m.text)])))
        at = m.last_index
    pieces.extend(_text_pieces(text[at:], slots))
    return pieces


class Plan:
    """The parsed markup of one skeleton, ready to be filled with values."""

    def __init__(self, skeleton: str) -> None:
        tokens = _MD.parse(skeleton)
        self.blocks: list[_Block] = []
        lists: list[_Block] = []
        for token in tokens:
            if token.type in ("bullet_list_open", "ordered_list_open"):
                block = _Block("ul" if token.type == "bullet_list_open" else "ol", [])
                if not lists:
                    self.blocks.append(block)
                lists.append(block)
            elif token.type in ("bullet_list_close", "ordered_list_close"):
                lists.pop()
            elif token.type == "list_item_open" and lists:
                lists[-1].items.append([])
            elif token.type == "inline":
                lines = _inline(token)
                if lists:
                    target = lists[0]
                    if not target.items:
                        target.items.append([])
                    target.items[-1].extend(lines)
                else:
                    self.blocks.append(_Block("p", [lines]))
        for block in self.blocks:
            block.slots = tuple(n for item in block.items for line in item for n in line.slots)

    def fill(self, values: list[str]) -> tuple[str, str]:
        """The HTML body (inside the layout) and the plain text, for these values."""
        html_blocks: list[str] = []
        text_blocks: list[str] = []
        for block in self.blocks:
            key = tuple([values[n] for n in block.slots])
            if key in block.made:
                found = block.made[key]
            else:
                found = _fill_block(block, values)
                if len(block.made) < MAX_MADE:
                    block.made[key] = found
            if found is not None:
                html_blocks.append(found[0])
                text_blocks.append(found[1])
        return LAYOUT.format(body="\n".join(html_blocks)), "\n\n".join(text_blocks)


def _fill_block(block: _Block, values: list[str]) -> tuple[str, str] | None:
    """One block's HTML and text for these values; None when all it shows is empty."""
    items: list[tuple[list[str], list[str]]] = []
    for item in block.items:
        kept = [line for line in item if _shown(line, values)]
        if not kept:
            continue
        html_lines = [_html_line(line.pieces, values).strip() for line in kept]
        text_lines = [_text_line(line.pieces, values) for line in kept]
        items.append((html_lines, text_lines))
    if not items:
        return None
    if block.kind == "p":
        html_lines, text_lines = items[0]
        return _P + "<br>\n".join(html_lines) + "</p>", _wrap_lines(text_lines)
    opener = _UL if block.kind == "ul" else _OL
    html_items = "".join("<li>" + "<br>\n".join(h) + "</li>\n" for h, _t in items)
    text_items = []
    for number, (_h, t) in enumerate(items, 1):
        mark = "- " if block.kind == "ul" else f"{number}. "
        text_items.append(_wrap_lines(t, first=mark, rest=" " * len(mark)))
    return f"{opener}\n{html_items.rstrip()}\n</{block.kind}>", "\n".join(text_items)


def _shown(line: _Line, values: list[str]) -> bool:
    return line.literal or any(values[n].strip() for n in line.slots) or not line.slots


def _html_line(pieces: list[Piece], values: list[str], in_link: bool = False) -> str:
    out: list[str] = []
    for piece in pieces:
        kind = piece[0]
        if kind == "lit":
            out.append(str(escape(piece[1])))
        elif kind == "slot":
            out.append(_html_value(values[piece[1]], link=not in_link))
        elif kind == "tag":
            out.append(piece[1])
        else:
            link: _Link = piece[1]
            inner = _html_line(link.pieces, values, in_link=True)
            href = _safe_href(_href(link.href, values))
            if href is None:
                out.append(inner)
            else:
                out.append(f'<a href="{escape(href)}" style="{_LINK_STYLE}">{inner}</a>')
    return "".join(out)


def _href(raw: str, values: list[str]) -> str:
    return _SLOT_ENCODED.sub(lambda m: values[int(m.group(1))].strip(), raw)


def _text_line(pieces: list[Piece], values: list[str]) -> str:
    out: list[str] = []
    for piece in pieces:
        kind = piece[0]
        if kind == "lit":
            out.append(piece[1])
        elif kind == "slot":
            out.append(values[piece[1]])
        elif kind == "link":
            link: _Link = piece[1]
            text = _text_line(link.pieces, values)
            href = _safe_href(_href(link.href, values)) or ""
            shown = href.removeprefix("mailto:")
            out.append(text if not href or shown == text.strip() else f"{text} <{shown}>")
    return "".join(out)


def _wrap_lines(lines: list[str], first: str = "", rest: str = "") -> str:
    out: list[str] = []
    prefix = first
    for line in lines:
        for part in line.split("\n"):
            wrapped = wrap(part.strip(), WIDTH - len(prefix)) or [""]
            for piece in wrapped:
                out.append(prefix + piece)
                prefix = rest
    return "\n".join(out)


def wrap(line: str, width: int = WIDTH) -> list[str]:
    """Greedy wrapping at spaces, never inside a word (``textwrap`` with
    ``break_long_words=False, break_on_hyphens=False``), fast for the usual single spaces."""
    if len(line) <= width:
        return [line] if line else []
    if "  " in line or "\t" in line:
        return textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)
    lines: list[str] = []
    start, end = 0, len(line)
    while end - start > width:
        cut = line.rfind(" ", start, start + width + 1)
        if cut <= start:
            cut = line.find(" ", start + width)
            if cut < 0:
                break
        lines.append(line[start:cut])
        start = cut + 1
    if start < end:
        lines.append(line[start:])
    return lines


# --- compiled documents -----------------------------------------------------------------------


def _run(template: Template, values: dict[str, Any]) -> str:
    """Render without Jinja's traceback rewriting, so that an error keeps the frames that
    tell its line (``outreach.letters.render.describe``)."""
    return "".join(template.root_render_func(template.new_context(values)))


class Document:
    """A letter text compiled once: the subject and body templates and the parsed plans."""

    def __init__(
        self, text: str, compile_template: Callable[[str], Template], name: str = ""
    ) -> None:
        parts = split(text)
        self.parts = parts
        self.subject = compile_template(parts.subject)
        # Padding keeps the line numbers of errors those of the whole text.
        self.body = compile_template("\n" * (parts.body_line - 1) + parts.body)
        self.name = name
        self._plans: dict[str, Plan] = {}

    def render(self, values: dict[str, Any]) -> tuple[str, str, str]:
        """``(subject, plain text, HTML body)`` for one context."""
        subject = _run(self.subject, values).strip()
        collected: list[str] = []
        token = _collector.set(collected)
        try:
            skeleton = _run(self.body, values).strip("\n")
        finally:
            _collector.reset(token)
        plan = self._plans.get(skeleton)
        if plan is None:
            plan = Plan(skeleton)
            if len(self._plans) < MAX_PLANS:
                self._plans[skeleton] = plan
        html, text = plan.fill(collected)
        return subject, text, html
