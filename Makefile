# The two commands of the README: `make run` starts the app, `make test` runs the tests.
# Both set up the virtual environment first (Python 3.11+), so they work on a fresh clone.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test setup lint

$(BIN)/activate: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

setup: $(BIN)/activate

run: setup
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q -rs

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
