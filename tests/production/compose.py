"""Reading docker-compose.yml as Docker Compose does: services, commands, variables.

Shared by the tests of the production shape and by the smoke test, which starts what the
file describes as processes on this machine.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})"
)


class ComposeError(ValueError):
    """A variable the compose file requires is missing (its own message)."""


def load(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """``$$``, ``$NAME``, ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``,
    ``${NAME:?message}`` and ``${NAME?message}``, as Compose substitutes them."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["bare"] or match["name"]
        op, arg = match["op"], match["arg"] or ""
        present = name in variables
        empty = not variables.get(name)
        if op in (":-", "-") and (empty if op == ":-" else not present):
            return interpolate(arg, variables)
        if op in (":?", "?") and (empty if op == ":?" else not present):
            raise ComposeError(f"{name}: {arg or 'required'}")
        return variables.get(name, "")

    return _VARIABLE.sub(substitute, value)


def command(service: Mapping[str, Any]) -> list[str]:
    value = service.get("command") or []
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def environment(service: Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, str]:
    """The service's environment with the variables substituted."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {
        str(name): interpolate("" if value is None else str(value), variables)
        for name, value in raw.items()
    }


def replicas(service: Mapping[str, Any]) -> int:
    return int((service.get("deploy") or {}).get("replicas", 1))
