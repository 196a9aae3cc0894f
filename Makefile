# Two entry points (see README): `make demo` runs the main job (the fleet demo),
# `make test` the tests.
# Both create .venv on first use: torch 2.13.0 first (the CPU wheel served locally;
# a range admitting a newer torch would pull several GB of CUDA packages), then the rest.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.fedhybrid-installed
PYTEST_ARGS ?= -q

.PHONY: setup demo test bench clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/fedhybrid demo

test: $(STAMP)
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

clean-venv:
	rm -rf $(VENV)
