# Two entry points (see README): `make demo` runs the product, `make test` runs
# every check CI runs. Both set up everything they need on a fresh machine.

VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.beaker-installed
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup lab-build lab-test browser demo test test-unit lint format bench clean

# The virtual environment with the package installed in editable mode. Installing
# builds the lab extension (npm, through hatch-jupyter-builder) and the develop
# link makes JupyterLab load the extension from this checkout.
$(STAMP): pyproject.toml labextension/package.json labextension/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/jupyter labextension develop --overwrite .
	touch $(STAMP)

setup: $(STAMP) lab-build

# Rebuild the lab extension from the current TypeScript sources.
lab-build: $(STAMP)
	cd labextension && npm install --no-audit --no-fund --silent && npm run build

# The lab extension's TypeScript unit tests (Jest, with JupyterLab's testing
# setup); `make setup` has installed its devDependencies.
lab-test: setup
	cd labextension && npm test

# Debian's chromium for the browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

# As root (containers, CI boxes) Jupyter refuses to start without --allow-root.
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

demo: setup
	$(BIN)/jupyter lab $(ALLOW_ROOT) --ServerApp.root_dir=demo demo/custom-messages.ipynb

lint: setup
	$(BIN)/ruff check beaker_server tests bench
	$(BIN)/ruff format --check beaker_server tests bench
	$(BIN)/python -m mypy beaker_server
	cd labextension && npm run lint

# Every test: tests/unit, tests/integration, tests/browser (pyproject's testpaths).
test: setup browser lint lab-test
	$(BIN)/python -m pytest

# The unit tests alone (no server, no kernel, no browser): seconds.
test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

format: $(STAMP)
	$(BIN)/ruff check --fix beaker_server tests bench
	$(BIN)/ruff format beaker_server tests bench
	cd labextension && npm run lint:fix

bench: setup
	$(BIN)/python -m bench.run

# The live variable preview: reply-to-preview time at 10/100/1,000 variables and
# with 1 GiB of data, vs the Variable Inspector's approach (bench/preview.py).
.PHONY: bench-preview
bench-preview: setup
	$(BIN)/python -m bench.preview

# The Data Explorer on a 10M x 10 frame through the server (open, pages, sorts,
# filters, profile, pages during a sort, memory per view), vs the Variable
# Inspector's approach and display(df) (bench/tables.py; ~1 GB per kernel).
.PHONY: bench-tables
bench-tables: setup
	$(BIN)/python -m bench.tables

clean:
	rm -rf $(VENV) labextension/node_modules labextension/lib beaker_server/labextension dist build
