# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := data/allied-defence

.PHONY: run test venv bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the project metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

run: venv
	$(BIN)/riskgraph validate $(SAMPLE)
	$(BIN)/riskgraph summary $(SAMPLE)

test: venv
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python bench/bench_network.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
