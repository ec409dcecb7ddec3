# Two commands for a newcomer: `make demo` and `make test` (both install first).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test demo serve eval bench browser-deps clean

install: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)
	@echo "install: .venv ready"

browser-deps:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "browser-deps: could not install chromium (browser tests will report it)"
	@fc-list :lang=zh 2>/dev/null | grep -q . || (apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei >/dev/null) || echo "browser-deps: no CJK font (screenshots will show boxes for Chinese)"

test: install browser-deps   # the browser test needs Debian's chromium (best effort, needs root)
	$(BIN)/python -m pytest -q

demo: install
	$(BIN)/python -m demo.run

serve: install   # serve an already published data/public.db on http://127.0.0.1:8001
	$(BIN)/python -m db.serve --db data/public.db --port 8001

eval: install
	$(BIN)/python -m pipelines.evaluate ../shared/data/complaints_dev.jsonl --labels tests/data/tactic_labels_dev.jsonl \
		--drop-registry 0.2 --json bench/out/eval_dev.json --predictions bench/out/eval_dev_predictions.jsonl

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) data artifacts .pytest_cache
