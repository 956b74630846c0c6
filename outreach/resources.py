"""Where the files Outreach reads at run time are found, in a checkout and in an installation.

The shipped letter templates (``templates/letters/``) and the migrations (``migrations/``)
sit at the top of the checkout, beside the package. A wheel carries copies of both inside
the package, as ``outreach/shipped/letters/`` and ``outreach/shipped/migrations/`` (see
``setup.py``), so a plain installation (``pip install outreach-*.whl``, the Docker image)
finds them without a checkout. The copy inside the package wins when it exists: only an
installed wheel has one.

Everything else the app reads (page templates, static files, translation catalogs) is
package data of ``outreach`` itself.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: Inside an installed wheel.
SHIPPED = PACKAGE / "shipped"
#: The checkout the package sits in (editable installs, ``make run``).
CHECKOUT = PACKAGE.parent


def _shipped(name: str, checkout_path: Path) -> Path:
    installed = SHIPPED / name
    return installed if installed.is_dir() else checkout_path


def letters_dir() -> Path:
    """The shipped letters: ``<letter>/<language>.txt`` and ``languages/<language>.json``."""
    return _shipped("letters", CHECKOUT / "templates" / "letters")


def migrations_dir() -> Path:
    """The Alembic migrations (``env.py``, ``versions/``)."""
    return _shipped("migrations", CHECKOUT / "migrations")
