"""The production docker-compose.yml and Dockerfile agree with the application they run."""

from __future__ import annotations

import ast
import importlib
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.production.compose import ROOT, command, load

SERVICES = {"web", "worker", "redis", "db", "mailpit"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load()


@pytest.fixture(scope="module")
def dockerfile() -> list[dict[str, list[str]]]:
    """The Dockerfile's stages, each its instructions by keyword, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages: list[dict[str, list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _sep, rest = line.partition(" ")
            if keyword.upper() == "FROM":
                stages.append({})
            stages[-1].setdefault(keyword.upper(), []).append(rest.strip())
    return stages


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "OUTREACH_ENV", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OUTREACH_INSTANCE_PATH", str(tmp_path))


def variables_read_by_the_app() -> set[str]:
    """Every name the configuration reads: os.environ.get("X"), _int("X"), _bool("X")."""
    names: set[str] = set()
    for path in (ROOT / "outreach" / "config.py", ROOT / "outreach" / "__init__.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            func = node.func
            helper = isinstance(func, ast.Name) and func.id in {"_int", "_bool"}
            environ_get = (
                isinstance(func, ast.Attribute)
                and func.attr == "get"
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "environ"
            )
            if helper or environ_get:
                names.add(first.value)
    return names


def test_the_services_exist(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= SERVICES


def test_web_and_worker_use_only_variables_the_app_reads(compose: dict[str, Any]) -> None:
    known = variables_read_by_the_app()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MAIL_SERVER"} <= known
    for name in ("web", "worker"):
        environment = compose["services"][name]["environment"]
        assert set(environment) <= known, set(environment) - known
        assert environment["OUTREACH_ENV"] == "production"
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["MAIL_SERVER"] == "mailpit"
        assert str(environment["MAIL_PORT"]) == "1025"
        assert environment["MAIL_DEFAULT_SENDER"]
        database = environment["DATABASE_URL"]
        assert database.startswith("postgresql://") and "@db:5432/" in database


def test_commands_are_real_cli_commands(compose: dict[str, Any], isolated_env: None) -> None:
    from outreach.cli import cli

    services = compose["services"]
    worker = command(services["worker"])
    assert worker[:2] == ["outreach", "worker"]
    migrations = [
        command(service)
        for service in services.values()
        if command(service)[:3] == ["outreach", "db", "upgrade"]
    ]
    assert migrations, "nothing runs the migrations"
    runner = CliRunner()
    for argv in [worker, *migrations]:
        result = runner.invoke(cli, [*argv[1:], "--help"], prog_name="outreach")
        assert result.exit_code == 0, (argv, result.output)


def test_migrations_run_before_web_and_worker(compose: dict[str, Any]) -> None:
    services = compose["services"]
    migrate = next(
        name for name, service in services.items() if command(service)[1:3] == ["db", "upgrade"]
    )
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends[migrate]["condition"] == "service_completed_successfully"
    assert services[migrate]["depends_on"]["db"]["condition"] == "service_healthy"


def test_redis_keeps_queued_work(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert str(redis["image"]).startswith("redis:7")
    argv = command(redis)
    assert argv[argv.index("--appendonly") + 1] == "yes"
    assert argv[argv.index("--maxmemory-policy") + 1] == "noeviction"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_database_and_mail_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    db = services["db"]
    assert str(db["image"]).startswith("postgres:16")
    assert db["volumes"] and "healthcheck" in db
    mailpit = services["mailpit"]
    assert str(mailpit["image"]).startswith("axllent/mailpit")
    assert any(str(port).endswith("8025") for port in mailpit["ports"])
    assert "1025" in [str(port) for port in mailpit.get("expose", [])] + [
        str(port).rsplit(":", 1)[-1] for port in mailpit.get("ports", [])
    ]


def test_the_worker_scales(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker
    assert worker["deploy"]["replicas"] >= 2


def test_web_depends_on_db_and_redis(compose: dict[str, Any]) -> None:
    depends = compose["services"]["web"]["depends_on"]
    assert {"db", "redis"} <= set(depends)


def gunicorn_target(argv: list[str]) -> tuple[str, str]:
    assert argv[0] == "gunicorn"
    target = argv[-1]
    module, _sep, attribute = target.partition(":")
    return module, attribute


def test_gunicorn_target_is_importable(compose: dict[str, Any], isolated_env: None) -> None:
    module, attribute = gunicorn_target(command(compose["services"]["web"]))
    from flask import Flask

    assert isinstance(getattr(importlib.import_module(module), attribute), Flask)


def test_the_image_installs_the_wheel_built_from_the_context(
    dockerfile: list[dict[str, list[str]]],
) -> None:
    """The build stage builds the wheel from the whole build context (what .dockerignore
    lets through: tests/production/test_packaging.py builds the same wheel and checks it);
    the image installs that wheel, not editable, and copies nothing else from the context."""
    build, image = dockerfile[0], dockerfile[-1]
    assert len(dockerfile) == 2
    assert build["COPY"] == [". ."]
    [wheel] = [run for run in build["RUN"] if "pip wheel" in run]
    assert shlex.split(wheel)[-1] == "." and "--no-deps" in wheel
    assert all(copy.startswith("--from=") for copy in image["COPY"])
    [install] = [run for run in image["RUN"] if "pip install" in run]
    assert ".whl" in install
    assert not {"-e", "--editable"} & set(shlex.split(install))


def test_dockerfile_matches_compose(
    compose: dict[str, Any], dockerfile: list[dict[str, list[str]]]
) -> None:
    image = dockerfile[-1]
    assert all(stage["FROM"][0].startswith("python:3.11-slim") for stage in dockerfile)
    user = image["USER"][-1]
    assert user not in ("root", "0")

    [cmd] = image["CMD"]
    image_command = json.loads(cmd)
    web = compose["services"]["web"]
    web_command = command(web) or image_command
    assert web_command == image_command
    bind = image_command[image_command.index("--bind") + 1]
    host, _sep, port = bind.rpartition(":")
    assert host == "0.0.0.0"
    assert image["EXPOSE"] == [port]
    assert any(str(mapping).rsplit(":", 1)[-1] == port for mapping in web["ports"])
    assert gunicorn_target(image_command) == gunicorn_target(command(web))
