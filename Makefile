# credit-policy — `make help` lists the targets.
# durable-rules builds on CPython 3.11 and 3.12 only: take the first interpreter that is one of them.
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' 2>/dev/null && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= sqlite:///var/credit-policy.sqlite
PORT   ?= 50051

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: need CPython 3.11 or 3.12 (durable-rules does not build on 3.13)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) protos ## create .venv and install the project with its dev tools

protos: $(STAMP) ## generate the gRPC stubs from protos/ with grpcio-tools
	@if [ -d protos/credit_policy ]; then $(BIN)/python -m adapters.grpc.build_protos; fi

test: install ## run the whole test suite
	$(BIN)/python -m pytest

lint: install ## lint the code (ruff) and the shipped rule files
	$(BIN)/ruff check policy_engine adapters tests bench
	$(BIN)/credit-policy lint rules

typecheck: install ## mypy strict on policy_engine/
	$(BIN)/mypy

bench: install ## run the benchmarks and print their tables
	$(BIN)/python bench/bench_decisions.py

DEMO_CUSTOMERS ?= 2000

run: install ## the main job: demo portfolio in SQLite, then the gRPC service on the shipped rules
	@mkdir -p var
	@test -f var/credit-policy.sqlite || $(BIN)/credit-policy demo-data --customers $(DEMO_CUSTOMERS) --db $(DB)
	$(BIN)/credit-policy serve --db $(DB) --port $(PORT)

.PHONY: help install protos test lint typecheck bench run
