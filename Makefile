# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup run test lint bench clean messages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/quanyu db upgrade
	$(BIN)/quanyu demo ensure
	$(BIN)/quanyu serve

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache

# Refresh the message catalogues after changing user-facing strings (then translate core/locale/zh_CN).
messages: setup
	$(BIN)/pybabel extract --project quanyu --no-location --sort-output -F babel.cfg -k _ -o core/locale/quanyu.pot core
	for lang in zh_CN; do \
	  if [ -f core/locale/$$lang/LC_MESSAGES/quanyu.po ]; then \
	    $(BIN)/pybabel update --no-fuzzy-matching -D quanyu -i core/locale/quanyu.pot -d core/locale -l $$lang; \
	  else \
	    $(BIN)/pybabel init -D quanyu -i core/locale/quanyu.pot -d core/locale -l $$lang; \
	  fi; \
	done
