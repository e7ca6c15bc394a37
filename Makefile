# credit-policy — `make help` lists the targets.
# .venv is built on the fastest CPython 3.11 or 3.12 on PATH that can make a venv (durable-rules
# does not build on 3.13; how CPython was built matters for speed: scripts/pick-python.sh and
# docs/service.md, "The interpreter"). Choose one yourself with
# `make PYTHON=/usr/bin/python3.11 install`, or add a second venv: `... VENV=.venv-other install`.
PYTHON ?=
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= sqlite:///var/credit-policy.sqlite
PORT   ?= 50051

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

# An existing venv is kept and only brought up to date when pyproject.toml changes: making it again
# over itself with another interpreter (the picker's choice can change between runs) breaks it.
$(STAMP): pyproject.toml
	@if [ -f $(VENV)/pyvenv.cfg ] && $(BIN)/python -c '' 2>/dev/null; then \
	  echo "updating $(VENV) (Python $$($(BIN)/python -c 'import sys; print(sys.version.split()[0])'); remove it to choose the interpreter again)"; \
	else \
	  py='$(PYTHON)'; \
	  if [ -z "$$py" ]; then py=$$(sh scripts/pick-python.sh) || exit 1; fi; \
	  echo "creating $(VENV) with $$py (Python $$("$$py" -c 'import sys; print(sys.version.split()[0])'))"; \
	  rm -rf $(VENV) && "$$py" -m venv $(VENV) || exit 1; \
	fi
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) protos bytecode ## create .venv and install the project with its dev tools

protos: $(STAMP) ## generate the gRPC stubs from protos/ with grpcio-tools
	@if [ -d protos/credit_policy ]; then $(BIN)/python -m adapters.grpc.build_protos; fi

# The editable install leaves the project's own modules uncompiled, and where PYTHONDONTWRITEBYTECODE is set
# (this VM's environment, and so CI's) no process ever writes their .pyc: every `serve`, worker and CLI the
# tests start compiled them again (~0.1-0.2 s of CPU each). compileall writes them whatever that variable
# says and skips those already up to date; Python checks each against its source, so an edit is never stale.
bytecode: $(STAMP) protos
	@$(BIN)/python -m compileall -q -j 0 policy_engine adapters bench scripts tests >/dev/null

# pytest-xdist: one worker per CPU, each test module on one worker (its module-scoped servers and
# portfolios are built once, not once per worker). Serially: `make test TEST_WORKERS=0`; more pytest
# options: `make test PYTEST_ARGS='-k batch -x'`.
TEST_WORKERS ?= auto
PYTEST_ARGS  ?=

test: install ## run the whole test suite on every CPU (serially: make test TEST_WORKERS=0)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install ## lint the code (ruff; also run by the tests) and the shipped rule files
	$(BIN)/ruff check policy_engine adapters tests bench scripts
	$(BIN)/credit-policy lint rules

typecheck: install ## mypy strict on policy_engine/, adapters/ and scripts/ (tests/unit/test_static_checks.py runs it too)
	$(BIN)/mypy

bench: install ## the decision benchmark (durable_rules vs zen-engine vs hand-written)
	$(BIN)/python bench/bench_decisions.py

DEMO_CUSTOMERS ?= 2000
AS_OF ?= $(shell date +%F)

run: install ## the main job: demo portfolio in SQLite, the nightly batch with its report, then the gRPC service
	@mkdir -p var
	@# the marker, not the database file, says the demo portfolio is in: an empty store gets one too;
	@# a SQLite file deleted since gets it again (the batch and serve refuse a store that is not there)
	@db='$(DB)'; f=; case "$$db" in sqlite:///*) f="$${db#sqlite:///}";; esac; \
	  if [ ! -f var/.demo-data ] || { [ -n "$$f" ] && [ ! -f "$$f" ]; }; then \
	    $(BIN)/credit-policy demo-data --customers $(DEMO_CUSTOMERS) --as-of $(AS_OF) --db $(DB) && touch var/.demo-data; fi
	@# exit 1 = finished with quarantined customers (data imported since that the model refuses; the demo
	@# data itself has none): the report names them, and the service starts all the same
	$(BIN)/credit-policy batch --db $(DB) --as-of $(AS_OF) --workers 2 --report-dir var/reports || [ $$? -eq 1 ]
	@echo "report: var/reports/ (open the .html in a browser); work queue: $(BIN)/credit-policy queue --db $(DB)"
	$(BIN)/credit-policy serve --db $(DB) --port $(PORT)

# The picture README and docs/batch.md show; ~15 s: demo data, batch and chromium in a temporary folder
report-png: install ## remake docs/report.png: a 5,000-customer demo run's report in headless chromium (scripts/report_png.py)
	$(BIN)/python scripts/report_png.py

bench-all: install ## every benchmark: decisions, store, gRPC load, batch (long: about 30 minutes)
	$(BIN)/python bench/bench_decisions.py
	$(BIN)/python bench/bench_store.py
	$(BIN)/python bench/bench_grpc_load.py
	$(BIN)/python bench/bench_gc_pauses.py
	$(BIN)/python bench/bench_batch.py --sizes 10000 50000 --workers 1 2

.PHONY: help install protos bytecode test lint typecheck bench bench-all run report-png
