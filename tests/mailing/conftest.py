"""Fixtures for the mail queue: a real SMTP sink, letter templates, candidates, workers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from outreach.extensions import db
from tests.conftest import make_app, marked_config, wipe
from tests.support.smtp_sink import SMTPSink

TEMPLATE = """Subject: %(subject)s

{{ contact.salutation }},

%(body)s {{ candidate.name }}.

{{ us.signatory_name }}
"""

TEXTS = {
    ("proposal", "en"): ("Cooperation with {{ candidate.name }}", "We propose a partnership to"),
    ("proposal", "pl"): ("Współpraca z {{ candidate.name }}", "Proponujemy partnerstwo gminie"),
    ("proposal", "lv"): ("Sadarbība ar {{ candidate.name }}", "Mēs piedāvājam partnerību"),
    ("follow_up", "en"): ("{{ first_letter.subject_reply }}", "We write again to"),
    ("second_follow_up", "en"): ("{{ first_letter.subject_reply }}", "We write once more to"),
}


@pytest.fixture(scope="session")
def letter_templates(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("letters")
    for (letter, language), (subject, body) in TEXTS.items():
        folder = root / letter
        folder.mkdir(exist_ok=True)
        (folder / f"{language}.txt").write_text(
            TEMPLATE % {"subject": subject, "body": body}, encoding="utf-8"
        )
    return str(root)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPSink]:
    sink = SMTPSink(stall_seconds=2.5).start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink(smtp_server: SMTPSink) -> Iterator[SMTPSink]:
    smtp_server.clear()
    smtp_server.delay = 0.0
    yield smtp_server
    smtp_server.clear()


MAIL_CONFIG = {
    "MAIL_TIMEOUT": 1,
    "MAIL_RETRY_BASE_SECONDS": 0,
    "MAIL_MAX_ATTEMPTS": 3,
    "MAIL_DEFAULT_SENDER": "Mena Office <office@mena-rada.example>",
    "MAIL_REPLY_TO": "partners@mena-rada.example",
}


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    database_url: str,
    redis: Any,
    redis_url: str,
    smtp_sink: SMTPSink,
    letter_templates: str,
) -> Iterator[Flask]:
    extra = marked_config(
        request,
        **MAIL_CONFIG,
        MAIL_SERVER=smtp_sink.host,
        MAIL_PORT=smtp_sink.port,
        LETTER_TEMPLATES_DIR=letter_templates,
    )
    application = make_app(database_url, redis_url, **extra)
    with application.app_context():
        from outreach.letters import office

        office.update(
            db.session,
            {**office.defaults(), "signatory_name": "Олена Коваль", "signatory_gender": "f"},
        )
        db.session.commit()
        yield application
    wipe(application)


@pytest.fixture
def towns(app: Flask) -> Any:
    """``towns(n, country="PL", language="pl", stage="analysed")`` → candidate ids."""
    from outreach.pipeline.models import Contact, Municipality

    counter = {"n": 0}

    def make(
        n: int,
        country: str = "PL",
        language: str = "pl",
        stage: str = "analysed",
        **fields: Any,
    ) -> list[int]:
        made = []
        for _ in range(n):
            counter["n"] += 1
            i = counter["n"]
            town = Municipality(
                name=f"Town {country} {i}",
                country=country,
                languages=[language],
                stage=stage,
                **fields,
            )
            town.contacts.append(
                Contact(
                    email=f"mayor{i}@town{i}.{country.lower()}.example",
                    name=f"Mayor {i}",
                    language="",
                    is_primary=True,
                )
            )
            db.session.add(town)
            made.append(town)
        db.session.commit()
        return [t.id for t in made]

    return make


def work(app: Flask) -> None:
    """Run the mail queue in this process until it is empty."""
    from outreach.queue import get_queue, get_redis
    from outreach.queue.worker import AppWorker

    queue = get_queue("mail")
    db.session.rollback()  # end the test's read snapshot before and after
    worker = AppWorker([queue], connection=get_redis())
    worker.flask_app = app
    worker.work(burst=True)
    db.session.rollback()
    failed = queue.failed_job_registry
    for job_id in failed.get_job_ids():
        job = queue.fetch_job(job_id)
        raise AssertionError(f"job {job_id} failed:\n{job.latest_result().exc_string}")


def worker_env(app: Flask, tmp_path: Path, **extra: Any) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            "MAIL_SERVER": app.config["MAIL_SERVER"],
            "MAIL_PORT": str(app.config["MAIL_PORT"]),
            "MAIL_TIMEOUT": "2",
            "MAIL_DEFAULT_SENDER": app.config["MAIL_DEFAULT_SENDER"],
            "OUTREACH_INSTANCE_PATH": str(tmp_path),
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A real ``outreach worker --burst`` process."""
    command = [os.path.join(os.path.dirname(sys.executable), "outreach"), "worker", "--burst"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
