.DEFAULT_GOAL := help
VENV := .venv/bin

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: ## venv, packages and system fonts/libs (as root)
	@scripts/bootstrap.sh

run: install ## run the whole platform locally (SQLite, local storage, local RabbitMQ)
	@scripts/ensure-services.sh && $(VENV)/qcflow run-all

lint: install ## ruff (lint + format check)
	$(VENV)/ruff check . && $(VENV)/ruff format --check .

typecheck: install ## mypy --strict
	$(VENV)/mypy shared services tests bench

check: lint typecheck ## lint + typecheck

test: check ## every test layer against real RabbitMQ, PostgreSQL, S3 (moto) and SMTP; then the fault drills
	@scripts/ensure-services.sh --with-postgres && $(VENV)/pytest --ignore=tests/e2e/faults && $(VENV)/pytest tests/e2e/faults

test-drills: install ## the fault drills alone (own pytest session: they restart brokers and kill services)
	@scripts/ensure-services.sh --with-postgres && $(VENV)/pytest tests/e2e/faults

test-unit: install ## unit tests only
	$(VENV)/pytest -m unit

test-e2e: install ## end-to-end tests only
	@scripts/ensure-services.sh --with-postgres && $(VENV)/pytest -m e2e

contracts: install ## rewrite the event schema snapshots (review the diff)
	QCFLOW_UPDATE_SNAPSHOTS=1 $(VENV)/pytest -q tests/contracts

docs: install ## regenerate docs/asyncapi.yaml and docs/openapi/*.json from the code
	$(VENV)/python -m services.cli docs

bench: install ## benchmarks (needs RabbitMQ + PostgreSQL); table printed, JSON in bench/results/
	@scripts/ensure-services.sh --with-postgres && $(VENV)/python -m bench

bench-quick: install ## the quick benchmark variant
	@scripts/ensure-services.sh --with-postgres && $(VENV)/python -m bench --quick

fmt: install ## format and autofix
	$(VENV)/ruff format . && $(VENV)/ruff check --fix .

.PHONY: help install run lint typecheck check test test-drills test-unit test-e2e contracts docs bench bench-quick fmt
