"""What pyproject.toml cannot say about the wheel.

- The shipped letter templates and the migrations stay at the top of the checkout
  (``templates/letters/``, ``migrations/``) and travel inside the package as
  ``outreach/shipped/letters/`` and ``outreach/shipped/migrations/``, where
  :mod:`outreach.resources` finds them in an installation.
- The translation catalogs are compiled (``.po`` to ``.mo``) into the wheel.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = {
    "outreach.shipped.letters": "templates/letters",
    "outreach.shipped.migrations": "migrations",
}


class BuildWithCatalogs(build_py):
    """``build_py`` that also writes a compiled ``.mo`` beside every ``.po`` in the build."""

    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted((HERE / "outreach" / "translations").glob("*/LC_MESSAGES/*.po")):
            relative = po.relative_to(HERE).with_suffix(".mo")
            target = Path(self.build_lib) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=relative.parts[-3])
            with target.open("wb") as out:
                write_mo(out, catalog)


def packages() -> list[str]:
    """The package and its folders, and the shipped folders under their names in it."""
    found = find_namespace_packages(include=["outreach", "outreach.*"], exclude=["*__pycache__"])
    for name, folder in SHIPPED.items():
        below = find_namespace_packages(where=str(HERE / folder), exclude=["*__pycache__"])
        found += [name, *(f"{name}.{sub}" for sub in below)]
    return found


setup(
    packages=packages(),
    package_dir=SHIPPED,
    # Every file in the package and in the shipped folders; catalogs are compiled afresh.
    package_data={"": ["**/*"]},
    exclude_package_data={"": ["*.pyc", "*.mo", "*.pot"]},
    cmdclass={"build_py": BuildWithCatalogs},
)
