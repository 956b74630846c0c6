# Everything runs from a virtual environment in .venv, made on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test smoke install translations messages lint format bench clean

run: install translations ## set up, migrate, load demo data once, start everything
	$(BIN)/outreach dev

test: install translations ## install what tests need and run the whole suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

smoke: install translations ## the wheel in a fresh venv, running what docker-compose.yml starts
	$(BIN)/python -m tests.production.smoke

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

translations: install
	$(BIN)/pybabel -q compile -d outreach/translations

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install translations
	$(BIN)/python bench/board.py

clean:
	rm -rf $(VENV) instance .pytest_cache

messages: install ## extract interface strings and update the catalogs
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o outreach/translations/messages.pot .
	$(BIN)/pybabel -q update -i outreach/translations/messages.pot -d outreach/translations
