# proxcloud - the two commands a user needs: `make plan` and `make test`.
# Both set up everything on a fresh Debian 12 machine with Python 3.11.

STACK ?= dev
BASE ?= HEAD
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_EXTRA := $(foreach f,$(sort $(wildcard deps/pip-*.txt)),-r $(f))
APT_LISTS := $(sort $(wildcard deps/apt-*.txt))

.PHONY: plan diff test test-fast lint system-deps bench schema report audit clean

$(VENV)/.installed: requirements.txt requirements-dev.txt $(wildcard deps/pip-*.txt)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==24.3.1
	$(PY) -m pip install --quiet -r requirements-dev.txt $(PIP_EXTRA)
	touch $@

venv: $(VENV)/.installed

## make plan [STACK=dev|prod]: the offline plan of a stack, under the recording mock engine.
plan: $(VENV)/.installed
	$(PY) -m tools.plan --stack $(STACK)

## make diff [BASE=HEAD] [STACK=dev|prod]: what `pulumi preview` would do going from BASE to the working tree,
## offline (both planned under the mock engine); exit 1 on a hazard (protected or guest replaced, fixed id
## replaced create-before-delete, a Command's delete undoing its new create), 2 when it cannot diff.
diff: $(VENV)/.installed
	$(PY) -m tools.diff --base $(BASE) --stack $(STACK)

## make test: every test, after installing what the tests need (venv, pip, apt, npm).
test: $(VENV)/.installed system-deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -q

## make test-fast: ruff and every test but the system and slow ones (chroots, namespace labs, daemons; the tests
## that plan the program again), about a minute; `make test` still runs them all.
test-fast: $(VENV)/.installed system-deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -q -m "not system and not slow"

## System packages the validators need (cloud-init, nginx, caddy, debootstrap, ...), from deps/apt-*.txt,
## and the npm packages of deps/npm-*/ (TypeScript + @grafana/schema), from their lockfiles.
system-deps:
	@bash tools/ensure-system-deps.sh $(APT_LISTS)
	@for d in $(wildcard deps/npm-*/); do \
	  if [ ! -f "$$d/node_modules/.package-lock.json" ] || [ "$$d/package-lock.json" -nt "$$d/node_modules/.package-lock.json" ]; then \
	    echo "npm ci in $$d"; (cd "$$d" && npm ci --no-audit --no-fund --silent) || exit 1; \
	  fi; \
	done

lint: $(VENV)/.installed
	$(PY) -m ruff check .

## make schema: regenerate tenants/schema.json from the models.
schema: $(VENV)/.installed
	$(PY) -m tools.schema

## make report [STACK=dev|prod]: right-sizing - allocation per tenant/node against proxcloud:capacity (table + PNG).
report: $(VENV)/.installed
	$(PY) -m tools.report --stack $(STACK)

## make audit [STACK=dev|prod] [ENDPOINT=https://host:8006/]: the running cluster against the stack's plan, read-only
## (token: $$PROXCLOUD_AUDIT_TOKEN or the secret proxcloud-audit:token); exit 0 clean, 1 findings, 2 cannot audit.
audit: $(VENV)/.installed
	$(PY) -m tools.audit --stack $(STACK) $(if $(ENDPOINT),--endpoint $(ENDPOINT))

## make bench [SIZES=1,10,100] [SHARDS=10x100]: plan time and memory against the SDK floor (docs/performance.md).
## All sizes (1, 10, 100, 1000) rewrite the table in docs/performance.md; SIZES=... is a quick look that only
## prints; SHARDS=10x100 plans ten 100-tenant stacks as separate processes, one and two at a time.
bench: $(VENV)/.installed
	$(PY) -m tools.bench $(if $(SIZES),--sizes $(SIZES)) $(if $(SHARDS),--shards $(SHARDS))

clean:
	rm -rf build .pytest_cache .ruff_cache
