# OneGrid — the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# `make serve`'s gunicorn set-up; benchmarks/bench_intake.py reads both from here to measure it.
WORKERS ?= 2
THREADS ?= 4
# Browser tests drive Debian's chromium (no browser download) with a CJK font so screenshots
# show Chinese; the same font (WenQuanYi Micro Hei, TrueType) is embedded in the monthly PDF
# reports (ONEGRID_PDF_FONT). `make test` installs both with apt. The scripts' unit tests
# (tests/js) run on node's own test runner: Node.js 20 or newer, no npm packages.
CHROMIUM ?= /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
BROWSER_PACKAGES := chromium fonts-wqy-microhei
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo serve test lint mypy-baseline format bench messages vendor-echarts clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(BIN)/onegrid migrate --no-input -v 0
	$(BIN)/onegrid collectstatic --no-input -v 0
	$(BIN)/onegrid demo
	$(MAKE) --no-print-directory serve

# Serves the app and runs the escalation timer (`onegrid tick`), the points for verified
# reports (`onegrid volunteers award-reports`: a few queries when nothing is new), the
# deliberation timers (`onegrid deliberation tick`: ballots closing, topics lapsing, decisions
# carried out) and the mediation timers (`onegrid mediation tick`: late answers of the legal
# adviser, mediation periods ending or past) every minute beside it, and writes last month's PDF reports once they are due (`onegrid reports monthly
# --if-missing`: a few file checks when they exist; in the background, one writer at a time, so
# a long first-of-the-month run never holds up the timer). The notification worker runs beside
# them (`onegrid notify worker`: fan-out, due-soon warnings and the queue's jobs, the
# database's or, with ONEGRID_TASKS=rq, Redis'; its log in var/notify-worker.log), and so does
# the forwarding worker (`onegrid forwarding worker`: cases to outside systems;
# var/forwarding-worker.log); Ctrl-C stops them too (SIGTERM: each finishes the delivery in
# hand).
serve: $(VENV)/.installed
	@echo "OneGrid on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	@( while sleep 60; do $(BIN)/onegrid tick > /dev/null 2>&1 || true; \
		$(BIN)/onegrid volunteers award-reports > /dev/null 2>&1 || true; \
		$(BIN)/onegrid deliberation tick > /dev/null 2>&1 || true; \
		$(BIN)/onegrid mediation tick > /dev/null 2>&1 || true; \
		( $(BIN)/onegrid reports monthly --if-missing > /dev/null 2>&1 & ); done ) & ticker=$$!; \
	mkdir -p $${ONEGRID_VAR_DIR:-var}; \
	$(BIN)/onegrid notify worker >> $${ONEGRID_VAR_DIR:-var}/notify-worker.log 2>&1 & notifier=$$!; \
	$(BIN)/onegrid forwarding worker >> $${ONEGRID_VAR_DIR:-var}/forwarding-worker.log 2>&1 & forwarder=$$!; \
	trap 'kill $$ticker $$notifier $$forwarder 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn onegrid.config.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--threads $(THREADS) --access-logfile - --log-level warning

$(CHROMIUM) $(CJK_FONT):
	@echo "Installing Debian's chromium and a CJK font for the browser tests"
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(BROWSER_PACKAGES) \
		|| ($(SUDO) apt-get update -q && \
		    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(BROWSER_PACKAGES))

test: $(VENV)/.installed-test $(CHROMIUM) $(CJK_FONT)
	@node -e 'process.exit(parseInt(process.versions.node) < 20 ? 1 : 0)' 2>/dev/null || \
		{ echo "The script tests (tests/js) need Node.js 20 or newer (Debian 13: apt-get install nodejs; or nodejs.org)"; exit 1; }
	node --test tests/js/*.test.mjs
	ONEGRID_CHROMIUM=$(CHROMIUM) $(BIN)/pytest $(PYTEST_ARGS)

# mypy checks src with django-stubs (pyproject.toml [tool.mypy]; core, org and cases strict).
# Errors from before mypy came are listed in mypy-baseline.txt: a new error fails, and so does a
# listed one that no longer occurs, so the list only shrinks (`make mypy-baseline` drops fixed
# ones). mypy's own failures (exit 2: bad config, crash) fail too. Its cache misses changes to
# the types in settings.py (which the django-stubs plugin reads), so it starts afresh then.
MYPY := sum=$$(cksum < src/onegrid/config/settings.py); \
	[ "$$(cat .mypy_cache/settings.cksum 2>/dev/null)" = "$$sum" ] || \
	{ rm -rf .mypy_cache && mkdir -p .mypy_cache && echo "$$sum" > .mypy_cache/settings.cksum; }; \
	$(BIN)/mypy > $(VENV)/mypy-output.txt; status=$$?; \
	if [ $$status -gt 1 ]; then cat $(VENV)/mypy-output.txt; exit $$status; fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	@$(MYPY); $(BIN)/mypy-baseline filter < $(VENV)/mypy-output.txt

# Drops the errors that no longer occur from mypy-baseline.txt; refuses while there are new ones.
mypy-baseline: $(VENV)/.installed-test
	@$(MYPY); $(BIN)/mypy-baseline filter --allow-unsynced --hide-stats < $(VENV)/mypy-output.txt \
		&& $(BIN)/mypy-baseline sync < $(VENV)/mypy-output.txt

format: $(VENV)/.installed-test
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_locate.py
	$(BIN)/python benchmarks/bench_intake.py
	$(BIN)/python benchmarks/bench_pages.py
	$(BIN)/python benchmarks/bench_layers.py
	$(BIN)/python benchmarks/bench_photos.py
	$(BIN)/python benchmarks/bench_duplicates.py
	# A district's class overrides and own calendar days against one district without them.
	$(BIN)/python benchmarks/bench_district_data.py
	# The operations middleware (request id, timing, counters, the JSON request log).
	$(BIN)/python benchmarks/bench_ops.py --json-log
	# Background jobs on the database queue and on Redis (RQ, when REDIS_URL's server answers;
	# its database 13 by default), against a plain insert; the fan-out of 10,000 case events.
	$(BIN)/python benchmarks/bench_jobs.py
	# 1M synthetic cases on SQLite and PostgreSQL (cached under var/bench/measures and as
	# og_bench_* databases); BENCH_MEASURES_SIZES=1000000,10000000 adds 10M.
	$(BIN)/python benchmarks/bench_measures.py
	# Load test (issue 14): the peak hour's mix by locust against 3 gunicorn app processes
	# behind nginx, PostgreSQL og_load, Redis db 7, queue workers; zero errors or it fails.
	# 10 minutes; BENCH_LOAD_MINUTES / BENCH_LOAD_USERS / BENCH_LOAD_APPS make it smaller.
	$(BIN)/python benchmarks/bench_load.py

# The charts' library, ECharts, is served from the package (no CDN): this fetches the version
# package.json pins from the npm registry (npm checks the tarball's integrity) and copies its
# ES module build, licence and notice into the static files. Change the pin, run this, run
# `node --test tests/js/` (charts_vendor.test.mjs checks the file is the pinned version), commit.
ECHARTS_DIR := src/onegrid/web/static/web/vendor/echarts
vendor-echarts:
	@version=$$(node -p 'JSON.parse(require("fs").readFileSync("package.json", "utf8")).dependencies.echarts'); \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	( cd "$$tmp" && npm pack --silent "echarts@$$version" > /dev/null && tar xzf "echarts-$$version.tgz" ) && \
	mkdir -p $(ECHARTS_DIR) && \
	cp "$$tmp/package/dist/echarts.esm.min.js" "$$tmp/package/LICENSE" "$$tmp/package/NOTICE" \
		"$$tmp/package/licenses/LICENSE-d3" $(ECHARTS_DIR)/ && \
	echo "ECharts $$version in $(ECHARTS_DIR)"

# Needs GNU gettext (apt-get install gettext); the compiled .mo files are committed.
messages: $(VENV)/.installed-test
	cd src/onegrid && ../../$(BIN)/onegrid makemessages -l zh_Hans --no-obsolete
	cd src/onegrid && ../../$(BIN)/onegrid compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
