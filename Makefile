# Two commands matter: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test ocr emoji-font pdf-text postgres-server bench bench-pg bench-guard bundle lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/veil

# The blur test reads veiled demo images with an OCR engine (tests/ui/test_item_words.py):
# Debian's tesseract-ocr, installed here when it is missing (with sudo unless root).
ocr:
	@command -v tesseract >/dev/null || { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q tesseract-ocr; }

# The PDF reports' tests read their text back (tests/ui/test_report_pdf*.py, test_training_report.py) with Debian's
# poppler-utils (pdftotext), installed here when it is missing: without it those tests would only be skipped.
pdf-text:
	@command -v pdftotext >/dev/null || { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q poppler-utils; }

# Emoji in posts need a colour emoji font (tests/ui/test_accessibility.py draws one): Debian's
# fonts-noto-color-emoji, a system dependency like tesseract, installed here when it is missing.
emoji-font:
	@fc-list | grep -qi "emoji" || { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q fonts-noto-color-emoji; }

# The domain tests run on PostgreSQL too (tests/postgres.py starts a throwaway server with initdb + pg_ctl):
# Debian's postgresql, installed here when its server programs are missing (with sudo unless root). Without
# a system cluster: postgresql-common is told first not to create and start the "main" cluster on port 5432
# (create_main_cluster = false), so the tests' servers are the only ones this installs.
postgres-server:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q postgresql-common && \
		echo "create_main_cluster = false" | $$SUDO tee -a /etc/postgresql-common/createcluster.conf >/dev/null && \
		$$SUDO apt-get install -y -q postgresql; }

test: $(STAMP) ocr emoji-font pdf-text postgres-server
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n 2 -m "not bundle"
	$(BIN)/lint-imports

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/run_all.py $(if $(SCALE),--scale $(SCALE))

# The benchmarks that take a store, on SQLite and on a throwaway PostgreSQL server beside it (figures named _pg).
bench-pg: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/run_all.py --pg $(if $(SCALE),--scale $(SCALE))

# Small runs of the benchmarks that measure a floor; fails when a ratio is over 2x its committed baseline.
bench-guard: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/guard.py

$(VENV)/.bundle-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bundle]"
	touch $@

bundle: $(VENV)/.bundle-installed
	$(BIN)/pyinstaller --noconfirm --clean build.spec
	@du -sh dist/veil

# Style, types (strict for the domain) and the import contracts (layers, driver, OpenCV).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build dist *.egg-info
