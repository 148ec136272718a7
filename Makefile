# The two things a newcomer runs (see README.md):
#   make book   install, execute every notebook, build the website into _build/html
#   make test   install, then run every test (unit tests, nbval, the site build)
# and a third:
#   make pdf    the website from the notebooks' saved outputs, printed as one PDF
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install book test export pdf

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -e .
	touch $@

book: install
	$(PY) tools/execute.py notebooks/*.ipynb
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	@if [ -x /usr/bin/chromium ]; then $(PY) tools/pdf.py _build/html; else echo "No /usr/bin/chromium: the website is built without its PDF (see make pdf)"; fi
	@echo "The book is built: open _build/html/index.html"

# The browser test's accessibility checker, axe-core, from npm (package-lock.json).
AXE := node_modules/axe-core/axe.min.js

$(AXE): package.json package-lock.json
	@if command -v npm > /dev/null; then npm ci --silent --no-audit --no-fund && touch $@; \
	else echo "npm is missing: tests/test_browser.py skips its accessibility checks"; fi

test: install $(AXE)
	$(PY) -m pytest

export: install
	$(PY) tools/export.py

# The whole book as one PDF, _build/html/gem-book.pdf (the landing page links to it):
# the website, built from the notebooks as they are saved (nothing is executed), printed
# by Debian's chromium (tools/pdf.py).
pdf: install
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	$(PY) tools/pdf.py _build/html
