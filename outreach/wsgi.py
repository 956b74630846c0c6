"""The WSGI entry point for production servers: ``gunicorn outreach.wsgi:app``."""

from outreach import create_app

app = create_app()
