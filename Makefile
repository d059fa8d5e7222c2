# Quickstart: `make demo` starts the app, `make test` runs lint (ruff check + format check) + all tests
# (`make test-fast`: lint + the tests that start no servers, browsers or training processes).
# Both create the virtual environment when it is missing and (re)install the
# requirements only when a requirements file changed since the last install.

PYTHON   ?= python3
VENV     ?= .venv
PY       := $(VENV)/bin/python
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test test-fast lint bench chromium clean distclean

demo: $(VENV)/.installed-runtime
	$(PY) app.py

test: $(VENV)/.installed-dev chromium
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

test-fast: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -m "not slow" -q

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: $(VENV)/.installed-runtime
	@for script in benchmarks/*.py; do \
		[ -e "$$script" ] || continue; \
		echo "== $$script"; \
		$(PY) "$$script" || exit 1; \
	done

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "sketch2face needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "Could not create $(VENV). On Debian/Ubuntu: sudo apt-get install python3-venv"; exit 1; }

# Stamp files record the last successful install; make compares their mtime
# with the requirements files.
$(VENV)/.installed-runtime: requirements.txt | $(PY)
	$(PY) -m pip install -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements-train.txt requirements.txt | $(PY)
	$(PY) -m pip install -r requirements-dev.txt
	touch $@

# Debian's chromium drives the browser test (with the emoji font, so screenshots show
# the app's 🎲 as a die). If it cannot be installed, that test skips itself;
# everything else still runs.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else SUDO=false; fi; \
		echo "Installing Debian chromium for the browser test..."; \
		{ command -v apt-get >/dev/null && \
		  $$SUDO apt-get update && \
		  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-color-emoji; } || \
		echo "NOTE: could not install chromium ($(CHROMIUM)); the browser test will be skipped."; \
	fi

clean:
	rm -rf .pytest_cache .ruff_cache space_build build *.egg-info
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
