# Two commands: `make run` (main job on the embedded demo data) and `make test`.
# The virtualenv is rebuilt only when a requirements file or pyproject.toml changes.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.requirements.sha256
REQ_HASH := $(shell cat requirements.txt requirements-nodeps.txt pyproject.toml | sha256sum | cut -d' ' -f1)

export DO_NOT_TRACK := true
export KEDRO_DISABLE_TELEMETRY := true
export MLFLOW_DISABLE_TELEMETRY := true
export HF_HUB_DISABLE_TELEMETRY := 1
export HF_HUB_OFFLINE ?= 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast venv demo-data viz bench clean-data study

venv:
	@if [ "$$(cat $(STAMP) 2>/dev/null)" != "$(REQ_HASH)" ]; then \
		echo "Setting up $(VENV) (requirements changed or missing)"; \
		command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: set PYTHON=/path/to/python3.11"; exit 1; }; \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) && \
		$(VENV)/bin/pip install -q --upgrade pip && \
		$(VENV)/bin/pip install -q -r requirements.txt && \
		$(VENV)/bin/pip install -q --no-deps -r requirements-nodeps.txt && \
		$(VENV)/bin/pip install -q --no-deps -e . && \
		echo "$(REQ_HASH)" > $(STAMP); \
	else echo "$(VENV) is up to date"; fi

demo-data: venv
	@if [ -z "$$(find data/01_raw -type f ! -name .gitkeep -print -quit)" ]; then \
		$(VENV)/bin/kedro run --pipelines=demo_data; \
	else echo "data/01_raw already holds data: skipping demo generation (make clean-data to regenerate)"; fi

run: demo-data
	$(VENV)/bin/kedro run

# The research setting (conf/study): the larger demo benchmark, every seed and control. It regenerates data/
# (the default run's results there are replaced) and takes more than an hour on 2 CPU cores.
study: venv
	find data -type f ! -name .gitkeep -delete
	$(VENV)/bin/kedro run --pipelines=demo_data --env=study
	$(VENV)/bin/kedro run --env=study

test: venv
	$(VENV)/bin/python -m pytest

# The inner loop: everything but the end-to-end Kedro runs and other tests marked slow.
test-fast: venv
	$(VENV)/bin/python -m pytest -m "not slow"

viz: venv
	$(VENV)/bin/kedro viz run --no-browser --host 127.0.0.1

bench: venv
	@for b in benchmarks/*.py; do [ -e "$$b" ] && $(VENV)/bin/python "$$b"; done; true

clean-data:
	find data -type f ! -name .gitkeep -delete
