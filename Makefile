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

# `lacrime prepare` (the demo dataset and first training, on a fresh machine) starts beside the
# server, so the first start is under way before a browser arrives; the app shows its progress
# and waits for it under the same lock. On later starts it only says that all is ready.
run: setup
	@echo "lacrime: starting the app at http://localhost:$(PORT) (first start: demo data and training in the background)"
	$(BIN)/lacrime prepare & \
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q -rs

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
