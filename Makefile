# Encore: `make demo` runs the main job on the local stack; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13 (the Lambda runtime): on PATH, or under pyenv's versions folder (where it is
# installed here but not on PATH; pyenv's shim answers "command not found").
PYTHON313 := $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then command -v $$p; break; fi; done)
VENV := .venv
SAM_VENV := .venv-sam
# One local stack per worker process: the suite runs on every core.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
PY := $(VENV)/bin/python
export TZ := UTC
export PYTHONPATH := $(CURDIR):$(CURDIR)/layers/common
export SAM_CLI_TELEMETRY := 0

.PHONY: help demo test unit integration scenarios validate bench diagrams settings-schema clean

# Every target with a "## what it does" comment on its line is listed: a new target documents itself.
help: ## list the targets
	@grep -hE '^[a-zA-Z][a-zA-Z0-9_.-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([^:]+):.*## (.*)$$/\1\t\2/' | \
		awk -F'\t' '{ printf "make %-14s %s\n", $$1, $$2 }'

# The venv holds the layer's lock (hashes checked), the dev tools held to the lock's versions,
# and the project itself (the `encore` command, .venv/bin/encore, which needs no PYTHONPATH).
$(VENV)/.installed: requirements-dev.txt layers/common/requirements.in layers/common/requirements.txt pyproject.toml
	@if [ -z "$(PYTHON313)" ]; then echo "Python 3.13 is required: install it (e.g. 'pyenv install 3.13' or your OS package python3.13) and retry." >&2; exit 1; fi
	$(PYTHON313) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r layers/common/requirements.txt
	sed -n 's/^\([A-Za-z0-9][A-Za-z0-9._-]*==[^ ;\\]*\).*/\1/p' layers/common/requirements.txt > $(VENV)/layer-versions.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c $(VENV)/layer-versions.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	@if [ -z "$(PYTHON313)" ]; then echo "Python 3.13 is required: install it (e.g. 'pyenv install 3.13') and retry." >&2; exit 1; fi
	$(PYTHON313) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

demo: $(VENV)/.installed ## boot the local stack and run a sample store through every scenario
	$(PY) -m infra.demo

test: $(VENV)/.installed $(SAM_VENV)/.installed ## the full test suite (unit, integration on moto, scenarios, template checks)
	ENCORE_SAM=$(CURDIR)/$(SAM_VENV)/bin/sam $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

unit: $(VENV)/.installed ## the unit tests only
	$(PY) -m pytest tests/unit

validate: $(VENV)/.installed $(SAM_VENV)/.installed ## template checks: sam validate --lint and cfn-lint on the translated template
	ENCORE_SAM=$(CURDIR)/$(SAM_VENV)/bin/sam $(PY) -m pytest tests/integration/test_template.py

# Lint: ruff (rules and format, pyproject.toml), mypy over the layer, import contracts (.importlinter).
.PHONY: lint
lint: $(VENV)/.installed ## ruff check + ruff format --check, mypy on the layer, import contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean: ## remove the virtual environments, out/ and .aws-sam
	rm -rf $(VENV) $(SAM_VENV) $(LOCK_VENV) $(CHECKOV_VENV) out .aws-sam

bench: $(VENV)/.installed ## what one journey costs in AWS requests; handler import times
	$(PY) -m tests.bench.journey_cost
	$(PY) -m tests.bench.cold_start

diagrams: $(VENV)/.installed ## redraw docs/statemachines.md from the ASL files
	$(PY) -m infra.diagrams

settings-schema: $(VENV)/.installed ## regenerate docs/store-settings.schema.json from the store settings model
	$(PY) -m infra.settings_schema

# Every email template in every language into out/preview (HTML, text, index.html) with a
# screenshot of each in headless Chromium: Debian's package, installed here when missing.
.PHONY: preview messages
preview: $(VENV)/.installed ## render every email template in every language into out/preview (with screenshots)
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
	$(PY) -m infra.preview

# Translations: extract the templates' messages into messages.pot and merge it into every
# catalogue (new or changed messages arrive empty: tests/unit/test_locales.py lists them until
# they are translated). A new language: layers/common/encore/templates/locales/README.md.
LOCALES := layers/common/encore/templates/locales
messages: $(VENV)/.installed ## extract translatable messages and merge them into every catalogue
	$(VENV)/bin/pybabel extract -F babel.cfg --add-location=file --sort-by-file --no-wrap --project=Encore \
		--copyright-holder="Encore contributors" -c "Translators:" -o $(LOCALES)/messages.pot layers/common/encore/templates
	$(VENV)/bin/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) --no-wrap --ignore-obsolete --no-fuzzy-matching

# ---------------------------------------------------------------- what ships
# The layer's lock: layers/common/requirements.in (edited by hand) -> requirements.txt (every
# package pinned, with the hashes of every wheel: aarch64 for Lambda, x86_64 for the twin and
# the dev venv). uv keeps the versions already locked unless UPGRADE=1.
LOCK_VENV := .venv-lock
UV_VERSION := 0.13.8
.PHONY: lock build-check

$(LOCK_VENV)/.installed:
	@if [ -z "$(PYTHON313)" ]; then echo "Python 3.13 is required: install it (e.g. 'pyenv install 3.13') and retry." >&2; exit 1; fi
	$(PYTHON313) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

lock: $(LOCK_VENV)/.installed ## re-resolve layers/common/requirements.in into the hashed lock (UPGRADE=1: newest versions)
	$(LOCK_VENV)/bin/uv pip compile layers/common/requirements.in --quiet --generate-hashes \
		--python-version 3.13 --python-platform aarch64-manylinux_2_34 $(if $(UPGRADE),--upgrade) \
		--custom-compile-command "make lock" -o layers/common/requirements.txt

# sam build (arm64) + binary audit + an x86_64 twin whose handlers run against moto: infra/build_check.py.
build-check: $(VENV)/.installed $(SAM_VENV)/.installed ## sam build, audit the arm64 binaries, run every built handler (x86_64 twin) against moto
	ENCORE_SAM=$(CURDIR)/$(SAM_VENV)/bin/sam ENCORE_PYTHON313=$(PYTHON313) $(PY) -m infra.build_check

# What monitoring (alarms, dashboard, alerts) costs a month, counted from template.yaml.
.PHONY: cost
cost: $(VENV)/.installed ## what monitoring costs a month, counted from template.yaml
	$(PY) -m infra.cost_model

# Upgrades: record the task payloads today's state machines pass (tests/contracts/step_inputs.json
# only grows), so the next release is checked against them (tests/unit/test_step_contracts.py).
.PHONY: step-contracts
step-contracts: $(VENV)/.installed ## record the step inputs of today's state machines (run before a release)
	$(PY) -m infra.step_contracts

# Checkov over template.yaml: every check passes or is skipped next to its resource with a
# one-line reason (Metadata: checkov: skip). Its own venv: it pins its own dependency tree.
CHECKOV_VENV := .venv-checkov
.PHONY: checkov
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@if [ -z "$(PYTHON313)" ]; then echo "Python 3.13 is required: install it (e.g. 'pyenv install 3.13') and retry." >&2; exit 1; fi
	$(PYTHON313) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

checkov: $(CHECKOV_VENV)/.installed ## static security checks of template.yaml (Checkov; skips carry their reason in the template)
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --framework cloudformation -f template.yaml

# Exactly once under faults (issue 12): the same shoppers with and without injected faults.
.PHONY: bench-faults
bench-faults: $(VENV)/.installed ## exactly once under injected faults: the table (CUSTOMERS=n)
	$(PY) -m tests.bench.faults $(if $(CUSTOMERS),--customers $(CUSTOMERS))

# A Shopify retry storm (issue 12): 200 customers, every webhook 1-9 times, reordered, re-sent,
# redriven and replayed; make test runs 30 of them (tests/faults/test_retry_storm.py).
.PHONY: bench-storm
bench-storm: $(VENV)/.installed ## a Shopify retry storm on the local stack: the table (CUSTOMERS=n, 200 by default)
	$(PY) -m tests.bench.retry_storm --customers $(or $(CUSTOMERS),200)

# Every HTTP route fuzzed with generated bodies and headers, half correctly signed: no 5xx,
# and no write by a refused request (make test runs 200 cases of the same test).
FUZZ_EXAMPLES ?= 10000
.PHONY: fuzz
fuzz: $(VENV)/.installed ## fuzz every HTTP route (FUZZ_EXAMPLES cases, 10,000 by default)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/fuzz -q -s -p no:xdist --timeout=0
