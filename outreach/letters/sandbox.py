"""The Jinja environments letters are rendered in, and the checks that keep them safe.

Both environments are :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with a strict
undefined: the text one without autoescape (subject and plain body), the HTML one with it.
On top of Jinja's sandbox, templates are refused *before* they are stored when they name an
internal attribute (``__class__``, ``_private``), use the ``attr`` filter with anything but a
plain public name, or call ``format_map``; operators and calls that could build huge strings
(``"x" * 10**9``, ``"%999999999s"``, ``"x".center(10**9)``) are refused while rendering.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from jinja2 import StrictUndefined, TemplateRuntimeError, nodes, pass_environment
from jinja2.exceptions import SecurityError
from jinja2.filters import do_center, do_format, do_indent, do_wordwrap
from jinja2.sandbox import ImmutableSandboxedEnvironment

from outreach.letters.i18n import _

#: The largest string or list one operation in a template may produce.
MAX_ITEMS = 100_000
#: ``range()`` inside a letter template stops here.
MAX_RANGE = 1_000
_WIDE_FORMAT = re.compile(r"[%{:][^}%]*?\d{4,}")


class Section(dict):
    """A plain dict that knows its place in the context ("candidate"), for error messages."""

    __slots__ = ("_path",)

    def __init__(self, path: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._path = path


class LetterUndefined(StrictUndefined):
    """A strict undefined whose message names the full path: ``'candidate.nme' is undefined``."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        path = getattr(self._undefined_obj, "_path", None)
        if path and isinstance(self._undefined_name, str):
            return f"'{path}.{self._undefined_name}' is undefined"
        return super()._undefined_message


def _finalize(value: Any) -> Any:
    if value is None:
        raise TemplateRuntimeError(
            _("a value printed here is empty (None); guard it with {% if %}")
        )
    return value


def _check_size(value: Any) -> Any:
    try:
        size = len(value)
    except TypeError:
        return value
    if size > MAX_ITEMS:
        raise SecurityError(
            _(
                "refused: a value of %(size)d items is larger than %(max)d",
                size=size,
                max=MAX_ITEMS,
            )
        )
    return value


def _check_format(text: Any) -> None:
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise SecurityError(_("refused: format widths of four digits or more"))


def _safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SecurityError(
            _("refused: range() in a letter is limited to %(max)d items", max=MAX_RANGE)
        )
    return result


def _capped(filter_fn: Callable[..., Any], *positions: int) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        for value in list(args[1:]) + list(kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 1000:
                raise SecurityError(_("refused: widths above 1000 in a letter"))
        return filter_fn(*args, **kwargs)

    wrapped.__name__ = filter_fn.__name__
    wrapped.jinja_pass_arg = getattr(filter_fn, "jinja_pass_arg", None)  # type: ignore[attr-defined]  # Jinja's own mark on filters
    return wrapped


def _format_filter(value: Any, *args: Any, **kwargs: Any) -> str:
    _check_format(value)
    return _check_size(do_format(value, *args, **kwargs))


#: The separators ``textwrap`` splits words on (ASCII whitespace only).
_WRAP_SPACE = re.compile(r"([\t\n\x0b\x0c\r ]+)")


#: Anything but single spaces between words: the general path handles it.
_ODD_SPACE = re.compile(r"[^\S ]|  |^ | $")


def _wrap_spaced(line: str, width: int) -> list[str]:
    """The greedy wrap of words separated by single spaces, by searching for spaces."""
    lines: list[str] = []
    start, end = 0, len(line)
    while end - start > width:
        cut = line.rfind(" ", start, start + width + 1)
        if cut <= start:
            cut = line.find(" ", start)
            if cut < 0:
                break
        lines.append(line[start:cut])
        start = cut + 1
    if start < end:
        lines.append(line[start:])
    return lines


def _wrap_paragraph(line: str, width: int) -> list[str]:
    """``textwrap.wrap(line, width, expand_tabs=False, replace_whitespace=False,
    break_long_words=False, break_on_hyphens=False)``, line for line, without building a
    ``TextWrapper`` and its regular expressions for every paragraph."""
    if len(line) <= width and line and not line[-1].isspace():
        return [line]
    if not _ODD_SPACE.search(line):
        return _wrap_spaced(line, width)
    chunks = [c for c in _WRAP_SPACE.split(line) if c]
    chunks.reverse()
    lines: list[str] = []
    while chunks:
        current: list[str] = []
        length = 0
        if lines and chunks[-1].strip() == "":
            del chunks[-1]
        while chunks and length + len(chunks[-1]) <= width:
            length += len(chunks[-1])
            current.append(chunks.pop())
        if chunks and not current and len(chunks[-1]) > width:
            current.append(chunks.pop())
        if current and current[-1].strip() == "":
            del current[-1]
        if current:
            lines.append("".join(current))
    return lines


@pass_environment
def wordwrap(
    environment: Any,
    s: Any,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> Any:
    """Jinja's ``wordwrap`` with the same output; the common letter case (plain text, no
    breaking inside words or at hyphens) skips ``textwrap``'s per-paragraph set-up."""
    if (
        type(s) is not str
        or type(width) is not int
        or width <= 0
        or break_long_words
        or break_on_hyphens
        or not (wrapstring is None or type(wrapstring) is str)
    ):
        return do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)
    if wrapstring is None:
        wrapstring = environment.newline_sequence
    return wrapstring.join([wrapstring.join(_wrap_paragraph(p, width)) for p in s.splitlines()])


class LetterEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox plus caps on operations that could exhaust memory."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(count, int)
                    and len(seq) * count > MAX_ITEMS
                ):
                    raise SecurityError(_("refused: repeating a value this many times"))
        elif operator == "**":
            if isinstance(right, int | float) and abs(right) > 100:
                raise SecurityError(_("refused: exponents above 100"))
        elif operator == "%":
            _check_format(left)
        return _check_size(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str | list | tuple | dict):
            if getattr(__obj, "__name__", "") == "format_map":
                raise SecurityError(_("refused: format_map is not allowed in letters"))
            if getattr(__obj, "__name__", "") == "format":
                _check_format(owner)
            for value in list(args) + list(kwargs.values()):
                if isinstance(value, int) and not isinstance(value, bool) and value > 1000:
                    raise SecurityError(_("refused: numbers above 1000 in a string method"))
        return _check_size(
            ImmutableSandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
        )


def make_environment(html: bool) -> LetterEnvironment:
    env = LetterEnvironment(
        undefined=LetterUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=html,
        finalize=_finalize,
    )
    env.globals["range"] = _safe_range
    env.filters["center"] = _capped(do_center)
    env.filters["indent"] = _capped(do_indent)
    env.filters["format"] = _format_filter
    env.filters["wordwrap"] = wordwrap
    return env


TEXT_ENV = make_environment(html=False)
HTML_ENV = make_environment(html=True)
#: Top-level names a template may read besides the context: the sandbox's own globals.
GLOBAL_NAMES = frozenset(TEXT_ENV.globals)


def _is_internal(name: str) -> bool:
    return name.startswith("_")


def unsafe_uses(tree: nodes.Template) -> list[str]:
    """Messages for every attempt to reach Python internals in a parsed template."""
    problems: list[str] = []

    def internal(name: str, node: nodes.Node) -> None:
        problems.append(
            _(
                "refused: templates may not access internal attributes (%(name)s) on line %(line)d",
                name=name,
                line=node.lineno,
            )
        )

    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Const)):
        if isinstance(node, nodes.Getattr):
            if _is_internal(node.attr):
                internal(node.attr, node)
            elif node.attr == "format_map":
                problems.append(
                    _(
                        "refused: templates may not use format_map on line %(line)d",
                        line=node.lineno,
                    )
                )
            elif node.attr in ("mro", "gi_frame", "f_globals", "func_globals"):
                internal(node.attr, node)
        elif isinstance(node, nodes.Getitem):
            arg = node.arg
            if (
                isinstance(arg, nodes.Const)
                and isinstance(arg.value, str)
                and _is_internal(arg.value)
            ):
                internal(arg.value, node)
        elif isinstance(node, nodes.Filter) and node.name == "attr":
            name = node.args[0] if node.args else None
            if not (isinstance(name, nodes.Const) and isinstance(name.value, str)):
                problems.append(
                    _(
                        "refused: templates may not use the attr filter with a computed name"
                        " on line %(line)d",
                        line=node.lineno,
                    )
                )
            elif _is_internal(name.value):
                internal(name.value, node)
        elif (
            isinstance(node, nodes.Const)
            and isinstance(node.value, str)
            and re.search(r"[{.\[]\s*_|\{[^}]*\.__", node.value)
        ):
            problems.append(
                _(
                    "refused: templates may not access internal attributes (in a format string)"
                    " on line %(line)d",
                    line=node.lineno,
                )
            )
    return list(dict.fromkeys(problems))


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Abort Python code running in this thread once ``seconds`` have passed.

    Used around trial renders while validating a template, so a template that would loop
    for minutes fails validation instead of being stored. Tracing makes code slower; it is
    never used for real letters (they are timed after rendering instead).
    """
    end = time.perf_counter() + seconds
    counter = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal counter
        counter += 1
        if counter % 256 == 0 and time.perf_counter() > end:
            raise TimeoutError(_("rendering took longer than %(seconds)g s", seconds=seconds))
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(previous)
