# The two commands: `make demo` and `make test`. Both bootstrap .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ordergate demo $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest --cov --cov-report=term:skip-covered -q

bench: $(STAMP)
	$(BIN)/python bench/oms_core.py
	$(BIN)/python bench/eventstore.py
	$(BIN)/python bench/rest_load.py
	$(BIN)/python bench/fix_codec.py
	$(BIN)/python bench/fix_roundtrip.py
	$(BIN)/python bench/fix_fuzz.py
	$(BIN)/python bench/feed_fanout.py
	$(BIN)/python bench/feed_guarantee.py

.PHONY: proto
proto: $(STAMP)  ## regenerate the gRPC feed modules from src/ordergate/feed/grpc/feed.proto
	$(BIN)/python -m ordergate.feed.grpc.generate

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage
