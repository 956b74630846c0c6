"""Building the wheel the way the Dockerfile does: from the Docker build context only.

The context is the checkout minus what ``.dockerignore`` excludes; it is copied to a
temporary folder and the wheel is built there with ``pip wheel --no-deps``, exactly the
Dockerfile's build stage. A file the build or the app needs that the context lacks makes
the wheel (and therefore the image) incomplete, and the tests and the smoke test see it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tests.production.compose import ROOT


def _regex(pattern: str) -> re.Pattern[str]:
    """A ``.dockerignore`` pattern (Go's filepath.Match, plus ``**``) as a regex."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out += "(?:.*/)?"
            else:
                out += ".*"
            continue
        ch = pattern[i]
        out += {"*": "[^/]*", "?": "[^/]"}.get(ch, re.escape(ch))
        i += 1
    return re.compile(out + r"\Z")


def _rules(root: Path) -> list[tuple[bool, re.Pattern[str]]]:
    path = root / ".dockerignore"
    rules = []
    lines = path.read_text().splitlines() if path.exists() else []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((keep, _regex(pattern)))
    return rules


def _excluded(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for keep, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            excluded = not keep
    return excluded


def context_files(root: Path = ROOT) -> list[str]:
    """Paths (relative, with ``/``) of the files ``docker build`` sends from ``root``."""
    rules = _rules(root)
    reopened = [regex for keep, regex in rules if keep]
    found = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        base = "" if base == "." else base + "/"
        # A folder that is excluded is still walked when a "!" pattern may reopen a path in it.
        dirs[:] = [
            d
            for d in dirs
            if not _excluded(base + d, rules)
            or any(
                regex.match(base + d) or regex.pattern.startswith(re.escape(base + d))
                for regex in reopened
            )
        ]
        found += [base + f for f in files if not _excluded(base + f, rules)]
    return sorted(found)


def copy_context(dest: Path, root: Path = ROOT) -> Path:
    for relative in context_files(root):
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target)
    return dest


def build_wheel(out_dir: Path, root: Path = ROOT) -> Path:
    """Build the wheel from a copy of the build context; returns its path."""
    with tempfile.TemporaryDirectory(prefix="outreach-context-") as folder:
        context = copy_context(Path(folder), root)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out_dir), "."],
            cwd=context,
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        raise RuntimeError(f"building the wheel failed:\n{result.stdout}\n{result.stderr}")
    [wheel] = out_dir.glob("outreach-*.whl")
    return wheel


def members(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()
