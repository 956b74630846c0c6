"""Backup and restore: one archive with the whole database, uploaded files and settings."""

from __future__ import annotations

from flask import Flask

from outreach.backup.cli import backup_command, restore_command


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
