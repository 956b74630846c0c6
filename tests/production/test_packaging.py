"""The wheel, built from the Docker build context as the Dockerfile builds it, holds every
file the running app reads: an installation (or the image) needs no checkout."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.production import probe
from tests.production.compose import ROOT
from tests.production.wheel import build_wheel, context_files, members

#: Files the wheel is built from, not installed.
BUILD_FILES = {"pyproject.toml", "setup.py", "README.md"}
PROBE_FOLDER = Path(probe.__file__).resolve().parent


def shipped_folders() -> dict[str, str]:
    """``setup.py``'s SHIPPED: package name to the checkout folder it is built from."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SHIPPED":
            return dict(ast.literal_eval(node.value))
    raise AssertionError("setup.py defines no SHIPPED")


def in_wheel(relative: str) -> str:
    """Where a file of the build context is inside the wheel."""
    for package, folder in shipped_folders().items():
        if relative.startswith(folder + "/"):
            return package.replace(".", "/") + relative[len(folder) :]
    return relative


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as pip lays it out in site-packages."""
    site = tmp_path_factory.mktemp("site-packages")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_the_build_context_holds_only_sources() -> None:
    files = context_files()
    assert set(files) >= BUILD_FILES
    assert not [f for f in files if "__pycache__" in f or f.endswith((".pyc", ".mo"))]
    assert not [f for f in files if f.split("/")[0] in {"tests", "bench", "instance", ".venv"}]


def test_every_file_of_the_build_context_is_in_the_wheel(wheel: Path) -> None:
    inside = set(members(wheel))
    expected = {in_wheel(f) for f in context_files() if f not in BUILD_FILES}
    missing = sorted(expected - inside)
    assert not missing, f"missing from the wheel: {missing}"
    top = {f.split("/")[0] for f in expected}
    assert top == {"outreach"}, f"outside the package, so not importable: {top - {'outreach'}}"


def test_the_wheel_carries_compiled_catalogs(wheel: Path) -> None:
    inside = set(members(wheel))
    catalogs = [f for f in context_files() if f.endswith(".po")]
    assert catalogs
    for po in catalogs:
        assert po[: -len(".po")] + ".mo" in inside


def test_shipped_folders_are_the_checkout_folders_the_app_uses() -> None:
    from outreach import resources

    folders = {f"{ROOT}/{folder}" for folder in shipped_folders().values()}
    assert folders == {str(resources.letters_dir()), str(resources.migrations_dir())}


def relative_files(folder: str | Path) -> set[str]:
    root = Path(folder)
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pot")
    }


def run_probe(site: Path, workdir: Path) -> dict[str, Any]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OUTREACH_", "DATABASE_", "REDIS_", "MAIL_", "IMAP_", "FLASK_"))
    }
    # No system time zone database: the installation must bring its own (tzdata).
    env.update(PYTHONPATH=str(site), PYTHONTZPATH="", OUTREACH_INSTANCE_PATH=str(workdir))
    result = subprocess.run(
        [sys.executable, probe.__file__, str(workdir)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_installed_app_reads_nothing_from_the_checkout(
    installed: Path, tmp_path: Path, app: Flask
) -> None:
    report = run_probe(installed, tmp_path)
    assert report["problems"] == []

    from_checkout = [
        path
        for path in report["opened"]
        if Path(path).is_relative_to(ROOT)
        and not Path(path).is_relative_to(ROOT / ".venv")
        and Path(path) != PROBE_FOLDER
    ]
    assert from_checkout == []

    checkout = probe.folders(app)
    assert set(report["folders"]) == set(checkout)
    for name, folder in report["folders"].items():
        assert Path(folder).is_relative_to(installed), (name, folder)
        found, expected = relative_files(folder), relative_files(checkout[name])
        if name == "translations":
            expected |= {f[: -len(".po")] + ".mo" for f in expected if f.endswith(".po")}
        assert found == expected, name
