# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup run test test-deploy lint bench clean messages browser screenshots

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

ASSETS := core/console/assets
ASSETS_STAMP := $(ASSETS)/node_modules/.installed-$(shell cat $(ASSETS)/package-lock.json | cksum | cut -d' ' -f1)

setup: $(STAMP) $(ASSETS_STAMP) browser

# The console's front-end libraries (htmx, ECharts, Leaflet), installed from the lockfile and served by
# the platform itself: district intranets cannot reach a CDN.
$(ASSETS_STAMP): $(ASSETS)/package-lock.json
	cd $(ASSETS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(ASSETS_STAMP)

# Browser tests and screenshots drive Debian's Chromium; Chinese text needs CJK fonts. Installed when
# missing and this user may (root with apt-get, as in CI); elsewhere those tests are skipped.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium or fonts-noto-cjk missing: browser tests will be skipped"; fi; \
	fi

run: setup
	$(BIN)/quanyu db upgrade
	$(BIN)/quanyu demo ensure
	$(BIN)/quanyu serve

# Two test processes (pytest-xdist, a file per process at a time): the suite takes half as long.
PYTEST_WORKERS ?= 2
test: setup
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The multi-process drill (deploy/drill/): its own PostgreSQL cluster (initdb) and Redis (append-only) on spare
# loopback ports, two API processes, two workers and the scheduler; a worker killed mid-job, Redis and
# PostgreSQL restarted, a base backup under load restored and compared. Needs PostgreSQL's server programs
# and redis-server installed (not running: it starts its own).
test-deploy: setup
	$(BIN)/pytest -p no:xdist -v deploy/drill

# The console's main pages as PNG files in var/screenshots/ (drives Chromium like the browser tests).
screenshots: setup
	rm -rf var/screenshots
	SCREENSHOTS_DIR=$(CURDIR)/var/screenshots $(BIN)/pytest -q -p no:randomly tests/browser -k screenshots
	@ls var/screenshots

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The HTTP benchmarks load the servers with wrk: installed from Debian's packages when missing and this user
# may (root with apt-get, as on the benchmark machine); elsewhere install it first.
bench: setup
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; } || echo "wrk is missing: install it"
	$(BIN)/python -c 'import pyinstrument' 2>/dev/null || $(BIN)/python -m pip install --quiet 'pyinstrument>=5'
	$(BIN)/python -m bench $(BENCH_ARGS)

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
