# Two commands matter: `make dev` runs the whole service locally, `make test` runs every test.
# Both bootstrap the virtual environment from the lock file on a fresh machine.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE :=

ROLE ?= agent
ACCOUNT ?= acme
USER ?= agent-1
# make dev SEED=1000: that many side conversations in the demo account (SEED_MESSAGES: messages in all)
SEED ?= 0
SEED_MESSAGES ?= 0

.PHONY: dev test chromium browser lint typecheck unit integration e2e openapi token synth deploy destroy smoke layer bench chaos clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.synced: uv.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv sync --frozen --inexact --quiet
	@# The domain package lives in layers/ (it ships as a layer); make it importable in the venv.
	printf '%s\n%s\n' "$(CURDIR)/layers" "$(CURDIR)" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/atender-side-conversations.pth"
	touch $@

dev: $(VENV)/.synced ## Run the whole service on 127.0.0.1 (API :3000, SMTP :2525, Slack stand-in :3001); SEED=1000 fills the demo
	SEED=$(SEED) SEED_MESSAGES=$(SEED_MESSAGES) $(BIN)/python -m local

test: lint typecheck chromium ## Lint, type-check and run every test suite
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(VENV)/.synced ## Ruff, and the layer contracts of pyproject.toml ([tool.importlinter], docs/ARCHITECTURE.md "Layers")
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo

typecheck: $(VENV)/.synced
	$(BIN)/mypy

chromium: ## Debian's Chromium for the browser tests (installed where missing; never a downloaded browser)
	@bash tools/ensure-chromium.sh

browser: $(VENV)/.synced chromium ## The panel's tests in a real browser; screenshots in test-artifacts/panel
	$(BIN)/python -m pytest tests/browser

unit: $(VENV)/.synced
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests/unit

integration: $(VENV)/.synced
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests/integration

e2e: $(VENV)/.synced
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests/e2e

openapi: $(VENV)/.synced ## Regenerate docs/openapi.json from the code
	$(BIN)/python -m local.openapi > docs/openapi.json

token: $(VENV)/.synced ## Print a local JWT: make token ROLE=agent ACCOUNT=acme USER=agent-1
	@$(BIN)/python -m local.token --role "$(ROLE)" --account "$(ACCOUNT)" --user "$(USER)"

layer: $(VENV)/.synced ## Build the Lambda layers into build/layers (dependencies from uv.lock, and sideconv)
	$(BIN)/python layers/build.py

# CHAOS_MESSAGES (default 1000) messages across both channels with every fault on; prints the figures.
chaos: $(VENV)/.synced ## Fault injection: DynamoDB, SES, S3, Slack and queue faults over >= 1,000 messages
	CHAOS=1 POWERTOOLS_LOG_LEVEL=CRITICAL $(BIN)/python -m pytest tests/reliability/test_faults.py::test_chaos \
		-q -s -p no:cacheprovider -W ignore::UserWarning 2>&1 | grep -v '^{"_aws"'; exit $${PIPESTATUS[0]}

bench: $(VENV)/.synced ## Cold starts, requests per operation, throughput, parsing, scale and package size against budgets
	$(BIN)/python -m bench $(BENCH_FLAGS)

# Context for synth/deploy/destroy beyond cdk.json, e.g. CDK_CONTEXT="-c senderAddress=help@acme.com"
CDK_CONTEXT ?=
CDK_FLAGS ?=
RETAIN_DATA ?= true
STACK ?= AtenderSideConversations
CDK := infra/node_modules/.bin/cdk

synth: layer ## Synthesize the stack into cdk.out and run cdk-nag (no AWS credentials, no network)
	time $(BIN)/python infra/app.py $(CDK_CONTEXT)

deploy: layer ## Deploy the stack with the pinned CDK CLI and the context in cdk.json
	npm ci --prefix infra --no-audit --no-fund --silent
	$(CDK) deploy $(STACK) -c deploy=true $(CDK_CONTEXT) $(CDK_FLAGS)

destroy: layer ## Delete the stack but keep the data; RETAIN_DATA=false deletes the table, mail and secret too
	npm ci --prefix infra --no-audit --no-fund --silent
	@if [ "$(RETAIN_DATA)" = "false" ]; then \
		echo "RETAIN_DATA=false: the table, the raw mail and the token secret will be deleted"; \
		$(CDK) deploy $(STACK) $(CDK_CONTEXT) -c retainData=false --require-approval never && \
		$(CDK) destroy $(STACK) $(CDK_CONTEXT) -c retainData=false --force; \
	else \
		$(CDK) destroy $(STACK) $(CDK_CONTEXT); \
	fi

smoke: $(VENV)/.synced ## Create, reply and read back against the deployed API (needs SMOKE_TOKEN and AWS credentials)
	$(BIN)/python -m infra.smoke --stack $(STACK)

clean:
	rm -rf $(VENV) build cdk.out .pytest_cache .mypy_cache .ruff_cache .grimp_cache .import_linter_cache
