# Two commands for a newcomer: `make run` (set up, migrate, demo data, serve) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3.11
BIN := $(VENV)/bin
PORT ?= 8000
STUB_PORT ?= 9100
REGISTRY_PORT ?= 9200
export WECHAT_API_BASE ?= http://127.0.0.1:$(STUB_PORT)
# The printed codes must lead back to this server, whatever port it was given.
export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: setup run test lint mutate contract bench messages clean

$(BIN)/citycode: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/citycode

setup: $(BIN)/citycode

# The stub first, then the worker: seed-demo's messages go through the worker to the stub.
# Ctrl-C stops all four (the business registry's stub beside WeChat's).
run: export REGISTRY_API_BASE ?= http://127.0.0.1:$(REGISTRY_PORT)
run: export REGISTRY_KEY ?= citycode-registry-dev
run: setup
	$(BIN)/python -m registry_stub --port $(REGISTRY_PORT) & registry=$$!; \
	$(BIN)/python -m wechat_stub --port $(STUB_PORT) & stub=$$!; \
	trap "kill $$stub $$registry" EXIT INT TERM; \
	for _ in $$(seq 50); do \
	  $(BIN)/python -c 'import urllib.request as u; u.urlopen("$(WECHAT_API_BASE)/__stub__/sent", timeout=1); u.urlopen("$(REGISTRY_API_BASE)/__stub__/calls", timeout=1)' 2>/dev/null && break; \
	  sleep 0.2; \
	done; \
	$(BIN)/citycode upgrade && \
	{ $(BIN)/citycode worker & worker=$$!; trap "kill $$worker $$stub $$registry" EXIT INT TERM; } && \
	$(BIN)/citycode seed-demo && \
	echo "WeChat stub on :$(STUB_PORT), registry stub on :$(REGISTRY_PORT), worker running, API on :$(PORT) — docs at http://127.0.0.1:$(PORT)/api/docs" && \
	$(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) 'backend:create_app()'

# Tests spread over every core (pytest-xdist); `make test PYTEST_ARGS=...` replaces that,
# e.g. PYTEST_ARGS="-n0 tests/test_lifecycle.py" for one file in one process.
PYTEST_ARGS ?= -n auto
test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

# Form, then the house's one-way imports: fails on any finding, naming the file.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/import_rule.py

# Mutation testing of the mechanism and rule modules (pyproject.toml [tool.mutmut]): each
# must kill 95 % of its mutants, equivalents listed in tests/MUTANTS.md aside. CHANGED=1:
# only the modules whose source changed since tests/mutation-scores.json recorded them.
mutate: setup
	$(BIN)/python tools/mutation.py run $(if $(CHANGED),--changed)

# The OpenAPI document against the running service: schemathesis, every check, once per
# kind of caller (tools/api_contract.py; shared settings in schemathesis.toml).
contract: setup
	$(BIN)/python tools/api_contract.py

# The Chinese catalog: collect new messages into backend/translations/zh/…/messages.po,
# translate them there, and compile; `make test` fails while one has no Chinese.
messages: setup
	$(BIN)/python tools/messages.py update
	$(BIN)/python tools/messages.py compile

bench: setup
	$(BIN)/python bench/scan.py

clean:
	rm -rf $(VENV) instance *.egg-info mutants
