"""The Jinja environments letters are rendered in, and the checks that keep them safe.

Both environments are :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with a strict
undefined: the text one without autoescape (subject and plain body), the HTML one with it.
On top of Jinja's sandbox:

* templates are refused *before* they are stored when they name an internal attribute
  (``__class__``, ``_private``), use the ``attr`` filter with anything but a plain public
  name, or name ``format_map`` (:func:`unsafe_uses`);
* what the sandbox hides (``format_map``, internals, string methods outside
  :data:`STRING_METHODS`) stays hidden however it is reached: ``.name``, ``["name"]``,
  ``|attr("name")``, ``map(attribute=...)``;
* every operation that can grow a value (operators, ``~``, string methods, every filter,
  list literals) and every loop runs under the caps of :mod:`outreach.letters.limits`
  while rendering: a size per value, a budget per render and a deadline. Templates are
  rewritten at compile time so that loops and ``~`` go through those checks too, and
  nothing is computed while compiling (the optimizer is off).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jinja2 import StrictUndefined, TemplateRuntimeError, nodes, pass_environment
from jinja2.exceptions import SecurityError
from jinja2.filters import do_wordwrap
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from outreach.letters import limits
from outreach.letters.i18n import _
from outreach.letters.limits import MAX_ITEMS
from outreach.letters.metering import (
    INTERNAL_FILTERS,
    WIDTH_METHODS,
    Metering,
    check_format,
    check_numbers,
    metered_filter,
    predict_method,
)

__all__ = ["HTML_ENV", "MAX_ITEMS", "MAX_RANGE", "TEXT_ENV", "make_environment", "unsafe_uses"]

#: ``range()`` inside a letter template stops here.
MAX_RANGE = 1_000

#: Attributes never reachable from a template, whatever the way.
HIDDEN = frozenset({"format_map", "mro", "gi_frame", "f_globals", "func_globals"})
#: The string methods a template may call (others, such as ``translate`` or ``expandtabs``,
#: could grow a string past the caps in one step).
STRING_METHODS = frozenset(
    {
        "capitalize", "casefold", "center", "count", "endswith", "find", "format", "index",
        "isalnum", "isalpha", "isdecimal", "isdigit", "islower", "isnumeric", "isspace",
        "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix",
        "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip",
        "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper", "zfill",
        "escape", "striptags", "unescape",
    }
)  # fmt: skip
#: The methods of lists, tuples and dicts a template may call.
CONTAINER_METHODS = frozenset({"count", "index", "get", "items", "keys", "values"})


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


_current_meter = limits.current


def check_printed(value: Any) -> Any:
    """Every printed value: never None, counted against the render's budget."""
    kind = type(value)
    if kind is str or kind is Markup:
        meter = _current_meter()
        if meter is not None:
            meter.left -= len(value)
            if meter.left < 0:
                limits.spend(0)
        return value
    if value is None:
        raise TemplateRuntimeError(
            _("a value printed here is empty (None); guard it with {% if %}")
        )
    return limits.produced(value)


def _safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SecurityError(
            _("refused: range() in a letter is limited to %(max)d items", max=MAX_RANGE)
        )
    return result


class LetterEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox plus caps on every operation that could exhaust memory or time."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def _generate(
        self,
        source: nodes.Template,
        name: str | None,
        filename: str | None,
        defer_init: bool = False,
    ) -> str:
        return super()._generate(Metering().visit(source), name, filename, defer_init)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr in HIDDEN:
            return False
        if callable(value):
            if isinstance(obj, str) and attr not in STRING_METHODS:
                return False
            if isinstance(obj, list | tuple | dict) and attr not in CONTAINER_METHODS:
                return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if getattr(value, "__name__", "") == "format_map":
            return None  # hidden: is_safe_attribute refuses it
        return super().wrap_str_format(value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        limits.tick()
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(count, int)
                    and limits.size(seq) * count > MAX_ITEMS
                ):
                    raise SecurityError(_("refused: repeating a value this many times"))
            if isinstance(left, int) and isinstance(right, int):
                limits.allow((abs(left).bit_length() + abs(right).bit_length()) // 8)
        elif operator == "**":
            if isinstance(right, int | float) and abs(right) > 100:
                raise SecurityError(_("refused: exponents above 100"))
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                limits.allow(abs(left).bit_length() * right // 8)
        elif operator == "%":
            check_format(left)
            if isinstance(left, str):
                args = list(right) if isinstance(right, tuple) else [right]
                if isinstance(right, dict):
                    args = list(right.values())
                limits.allow(limits.format_size(left, args, "%"))
        elif operator == "+" and isinstance(left, str | list | tuple):
            limits.allow(limits.size(left) + limits.size(right))
        return limits.produced(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        limits.tick()
        target = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str | list | tuple | dict):
            name = getattr(target, "__name__", "")
            if name in HIDDEN:
                raise SecurityError(_("refused: format_map is not allowed in letters"))
            if name in WIDTH_METHODS:
                check_numbers(
                    [*args, *kwargs.values()], _("refused: numbers above 1000 in a string method")
                )
            if isinstance(owner, str):
                predict_method(owner, name, args, kwargs)
        return limits.produced(
            ImmutableSandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
        )


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


def make_environment(html: bool, finalize: Callable[..., Any] | None = None) -> LetterEnvironment:
    """A letter sandbox; ``finalize`` replaces the check that refuses printing None."""
    env = LetterEnvironment(
        # No folding of constant expressions while compiling: filters and operators would
        # run there outside the caps.
        optimized=False,
        undefined=LetterUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=html,
        finalize=finalize or check_printed,
    )
    env.globals["range"] = _safe_range
    del env.globals["lipsum"]  # thousands of paragraphs in one call
    env.filters["wordwrap"] = wordwrap
    env.filters = {name: metered_filter(name, f) for name, f in env.filters.items()}
    env.filters.update(INTERNAL_FILTERS)
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
            first = node.args[0] if node.args else None
            if not (isinstance(first, nodes.Const) and isinstance(first.value, str)):
                problems.append(
                    _(
                        "refused: templates may not use the attr filter with a computed name"
                        " on line %(line)d",
                        line=node.lineno,
                    )
                )
            elif _is_internal(first.value) or first.value in HIDDEN:
                internal(first.value, node)
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
