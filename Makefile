# Two entry points (see README): `make demo` runs the main job (the fleet demo),
# `make test` the tests.
# Both create .venv on first use: torch 2.13.0 first (the CPU wheel served locally;
# a range admitting a newer torch would pull several GB of CUDA packages), then the rest.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.fedhybrid-installed
PYTEST_ARGS ?= -q

.PHONY: setup demo test lint fuzz bench clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/fedhybrid demo

# The linter (ruff, pinned in the test extra) over the whole tree; CI runs it before the tests.
lint: $(STAMP)
	$(PY) -m ruff check .

test: $(STAMP)
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

# The fuzz suites with fresh random examples, 10x as many (FUZZ_SCALE); `make test` runs them
# derandomized, so CI sees the same examples every run.
FUZZ_SCALE ?= 10
fuzz: $(STAMP)
	FEDHYBRID_FUZZ=explore FEDHYBRID_FUZZ_SCALE=$(FUZZ_SCALE) $(PY) -m pytest $(PYTEST_ARGS) \
	  tests/test_fuzz_cli.py tests/cache_sync/test_fuzz_envelope.py tests/server/test_fuzz_state.py \
	  tests/serving/test_fuzz_http.py

clean-venv:
	rm -rf $(VENV)
