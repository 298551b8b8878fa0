# The two commands of the README: `make run` starts the service, `make test` runs every test
# (except the destructive ones, which restart a broker or cut a database: `make test-destructive`).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install run lint test test-destructive clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

# Browser packages of the web pages (package-lock.json): `npm ci` when node_modules is missing or the lock changed.
NPM_STAMP := node_modules/.installed-$(shell sha1sum package-lock.json 2>/dev/null | cut -c1-12)

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm не найден: установите Node.js и npm (apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-* && touch $@

install: $(STAMP) $(NPM_STAMP)

# The demo runs in dev mode with the token-less dev login; production sets OZSP_MODE=production (README).
run: export OZSP_MODE ?= dev
run: export DEV_LOGIN ?= 1
# each service connects to RabbitMQ as its own user (`ozsp broker setup`); production sets its own secret
run: export BROKER_SECRET ?= dev-broker-secret
# certmail finds the dev DKIM key (`python -m services.certmail.demo send` signs with it) in this file, not in DNS
run: export DKIM_DNS_FILE ?= $(CURDIR)/services/certmail/devkey/dkim-dns.txt
run: install
	$(BIN)/ozsp infra --start
	$(BIN)/ozsp migrate
	$(BIN)/ozsp seed
	$(BIN)/ozsp broker setup
	$(BIN)/ozsp up

# ruff (lint and format) and mypy: the first step of `make test`, so CI runs them too.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/mypy

test: install lint
	$(BIN)/ozsp infra --or-containers
	$(BIN)/pytest $(PYTEST_ARGS)

# Only the tests that restart a RabbitMQ node of their own or cut the test database (never the shared ones).
test-destructive: export OZSP_DESTRUCTIVE_TESTS = 1
test-destructive: install
	$(BIN)/ozsp infra --or-containers
	$(BIN)/pytest -m destructive $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) test-output .pytest_cache .hypothesis
