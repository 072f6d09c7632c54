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

# Validate the sample, then serve the dashboard on http://127.0.0.1:8050 (Ctrl-C stops it).
run: venv
	$(BIN)/riskgraph validate $(SAMPLE)
	$(BIN)/riskgraph dashboard $(SAMPLE)

test: venv
	$(BIN)/python -m pytest -q

# Long (about an hour with the 1M-node package): run it on an otherwise idle machine.
# Appends a dated section to bench/RESULTS.md; generated packages are cached in bench/.cache/.
bench: venv
	$(BIN)/python bench/bench_structural.py
	$(BIN)/python bench/bench_montecarlo.py
	$(BIN)/python bench/bench_commands.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
