"""Fixtures for backups: the mail-queue fixtures (candidates, letters, replies to back up)."""

from tests.mailing.conftest import app as app  # noqa: F401
from tests.mailing.conftest import letter_templates, smtp_server, smtp_sink, towns  # noqa: F401
