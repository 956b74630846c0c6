"""Rendering under the caps: the sandbox's filters wrapped, templates rewritten.

:func:`metered_filter` wraps every filter of a letter environment: it refuses beforehand a
call whose result would break :data:`outreach.letters.limits.MAX_ITEMS` (``replace``,
``join``, ``indent``, ``wordwrap``, ``urlize``, ``format``, ``tojson``, ``batch``...), checks
its result, and counts a generator's items as they come. :class:`Metering` rewrites a parsed
template before it is compiled so that ``{% for %}`` loops, ``~`` and list, tuple and dict
literals go through :data:`INTERNAL_FILTERS` and the same caps. :func:`predict_method` does
for string methods what :func:`predict_filter` does for filters.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterable
from typing import Any, cast

from jinja2 import nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, markup_join, str_join
from jinja2.utils import _PassArg
from jinja2.visitor import NodeTransformer

from outreach.letters import limits
from outreach.letters.i18n import _
from outreach.letters.limits import MAX_ITEMS

#: Numbers above this are refused as widths in filters and string methods.
MAX_WIDTH = 1_000
#: String methods whose numbers are widths (at most :data:`MAX_WIDTH`).
WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})
_WIDE_FORMAT = re.compile(r"[%{:][^}%]*?\d{4,}")


def check_format(text: Any) -> None:
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise SecurityError(_("refused: format widths of four digits or more"))


def check_numbers(values: Iterable[Any], message: str) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
            raise SecurityError(message)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _format_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    values = list(args) + list(kwargs.values())
    if len(values) == 1 and isinstance(values[0], tuple | dict):
        first = values[0]
        return list(first.values()) if isinstance(first, dict) else list(first)
    return values


def predict_filter(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a filter call whose result would break the caps, before it runs."""
    value = args[0] if args else ""
    rest = list(args[1:])
    option = kwargs.get
    if name == "replace" and len(rest) >= 2:
        count = rest[2] if len(rest) > 2 else option("count", -1)
        limits.allow(limits.replace_size(_text(value), rest[0], rest[1], count))
    elif name == "join":
        separator = rest[0] if rest else option("d", "")
        items = value if isinstance(value, list | tuple) else []
        limits.allow(limits.join_size(separator, list(items)))
    elif name == "indent":
        width = rest[0] if rest else option("width", 4)
        prefix = width if isinstance(width, str) else " " * min(int(width or 0), MAX_ITEMS + 1)
        limits.allow(len(_text(value)) + _lines(_text(value)) * len(prefix))
    elif name == "wordwrap":
        text = _text(value)
        wrap = rest[2] if len(rest) > 2 else option("wrapstring")
        width = rest[0] if rest else option("width", 79)
        breaks = len(text) // max(int(width or 1), 1) + text.count(" ") + _lines(text)
        limits.allow(len(text) + breaks * len(_text(wrap or "\n")))
    elif name == "urlize":
        text = _text(value)
        extra = sum(len(_text(v)) for v in (*rest[2:4], option("target"), option("rel")) if v)
        limits.allow(3 * len(text) + (text.count(" ") + _lines(text)) * (60 + extra))
    elif name == "format":
        check_format(value)
        limits.allow(limits.format_size(_text(value), _format_args(tuple(rest), kwargs), "%"))
    elif name == "tojson":
        indent = rest[0] if rest else option("indent")
        depth = int(indent) if isinstance(indent, int) else len(_text(indent or ""))
        limits.allow(limits.size(value) * (10 + depth))
    elif name == "batch":
        count = rest[0] if rest else option("linecount", 1)
        limits.allow(limits.size(value) + int(count or 0))
    elif name == "sum":
        start = rest[1] if len(rest) > 1 else option("start", 0)
        if not isinstance(start, int | float) or isinstance(start, bool):
            raise SecurityError(_("refused: sum() in a letter adds numbers only"))
    elif name == "center":
        check_numbers([*rest, *kwargs.values()], _("refused: widths above 1000 in a letter"))


def metered_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (a filter) under the caps: predicted where it can grow a value, its result
    checked, generators counted item by item. It takes the same arguments as ``function``."""
    pass_arg = _PassArg.from_obj(function)
    skip = 0 if pass_arg is None else 1

    def metered(*args: Any, **kwargs: Any) -> Any:
        limits.tick()
        head, values = args[:skip], args[skip:]
        if name == "join" and values and not isinstance(values[0], list | tuple | str):
            values = (list(limits.guarded(values[0])), *values[1:])
        predict_filter(name, values, kwargs)
        result = function(*head, *values, **kwargs)
        if isinstance(result, types.GeneratorType):
            return limits.guarded(result)
        return limits.produced(result)

    metered.__name__ = getattr(function, "__name__", name)
    metered.__doc__ = function.__doc__
    if pass_arg is not None:
        metered.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    return metered


@pass_context
def _loop(context: Context, iterable: Any, per_item: int = 0) -> Any:
    """The iterable of a ``{% for %}`` loop, counted and timed item by item."""
    return limits.guarded(iterable, per_item)


@pass_context
def _concat(context: Context, values: list[Any]) -> str:
    """``a ~ b ~ c`` with its size checked before it is built."""
    limits.allow(sum(limits.size(v) for v in values))
    joined = markup_join(values) if context.eval_ctx.autoescape else str_join(values)
    limits.spend(len(joined))
    return joined


@pass_context
def _built(context: Context, value: Any) -> Any:
    """A list, tuple or dict literal, checked like any other value a template builds."""
    return limits.produced(value)


#: Filters the rewritten templates call; not meant to be written in a template.
INTERNAL_FILTERS = {"__loop": _loop, "__concat": _concat, "__built": _built}


def _literal_size(body: list[nodes.Node]) -> int:
    size = 0
    for statement in body:
        for data in statement.find_all(nodes.TemplateData):
            size += len(data.data)
        if isinstance(statement, nodes.TemplateData):
            size += len(statement.data)
    return size


def _filter(node: nodes.Expr, name: str, *args: nodes.Expr) -> nodes.Filter:
    found = nodes.Filter(node, name, list(args), [], None, None)
    found.set_lineno(node.lineno)
    return found


class Metering(NodeTransformer):
    """Rewrites a template so that loops, ``~`` and literals run under the caps."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = cast(nodes.For, self.generic_visit(node))
        literal = _literal_size(node.body)
        node.iter = _filter(cast(nodes.Expr, node.iter), "__loop", nodes.Const(literal))
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = cast(nodes.Concat, self.generic_visit(node))
        values = nodes.List(node.nodes)
        values.set_lineno(node.lineno)
        return _filter(values, "__concat")

    def _literal(self, node: nodes.Expr) -> nodes.Node:
        node = cast(nodes.Expr, self.generic_visit(node))
        if getattr(node, "ctx", "load") != "load":
            return node
        return _filter(node, "__built")

    visit_List = visit_Tuple = visit_Dict = _literal


def predict_method(text: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a string method call whose result would break the caps, before it runs."""
    if name == "format":
        check_format(text)
        limits.allow(limits.format_size(text, _format_args(args, kwargs), "{"))
    elif name == "replace" and len(args) >= 2:
        limits.allow(limits.replace_size(text, args[0], args[1], *args[2:3]))
    elif name == "join" and args:
        items = args[0]
        if isinstance(items, list | tuple):
            limits.allow(limits.join_size(text, list(items)))
