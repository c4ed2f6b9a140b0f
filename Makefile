# The README's commands. `make run` and `make test` work on a fresh clone:
# they install the libtorch virtualenv when it is missing, then build.
SHELL := /bin/bash
.DEFAULT_GOAL := run

TORCH_VERSION := 2.13.0
VENV          := .venv
PYTHON        ?= python3
CARGO         ?= cargo
export CARGO_TERM_COLOR ?= never

## web, web-build, web-deps: the React client in web/ (see below).
.PHONY: run demo test build web web-build web-deps web-e2e-deps fmt lint migrate schema graphiql-assets browser moto xmllint wrk bench bench-peers bench-realtime bench-ml bench-search bench-jobs bench-media bench-seo bench-shopping bench-assistant ml-eval reindex clean libtorch

## libtorch: project-local virtualenv with the PyPI torch wheel tch 0.26 expects,
## and the `libtorch` symlink that .cargo/config.toml points LIBTORCH at.
## torch goes in without its dependency tree (cuBLAS, cuDNN, NCCL, cuFFT, …,
## triton, sympy: 3.5 GB the binary never loads), with only the wheels that
## hold what the binary does load (`readelf -d`, `ldd`; tests/linkage.rs
## checks it): libtorch_cpu.so, libc10.so and libgomp.so.1 come in the torch
## wheel, and libtorch_cpu.so needs libcudart.so.13 and libcupti.so.13, from
## the two nvidia wheels below at the versions torch 2.13.0's metadata pins
## (through cuda-toolkit[cudart,cupti]==13.0.3). Python cannot `import torch`
## from this venv; nothing here needs it to.
LIBTORCH_WHEELS := torch==$(TORCH_VERSION) nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85
## Exit 0 when every wheel above is installed at its pinned version (read from
## the metadata, without importing torch).
LIBTORCH_CHECK := import sys, importlib.metadata as m; \
  sys.exit(any(m.version(n).split("+")[0] != v for n, v in (w.split("==") for w in sys.argv[1:])))
libtorch: libtorch/lib
libtorch/lib:
	@if ! $(VENV)/bin/python -c '$(LIBTORCH_CHECK)' $(LIBTORCH_WHEELS) 2>/dev/null; then \
	  echo ">> installing $(LIBTORCH_WHEELS) into $(VENV) (one time, about 0.5 GB download, 1.2 GB installed)"; \
	  $(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install --disable-pip-version-check -q --no-deps $(LIBTORCH_WHEELS); \
	elif $(VENV)/bin/python -c 'import importlib.metadata as m; m.version("triton")' 2>/dev/null; then \
	  echo ">> note: $(VENV) also holds torch's whole dependency tree (an install from before"; \
	  echo ">>   the slim one, about 3.5 GB more). It works as it is; vitrine loads none of it."; \
	  echo ">>   To reclaim the space: rm -rf $(VENV) libtorch && make libtorch"; \
	fi
	@ln -sfn "$$($(VENV)/bin/python -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("torch").origin))')" libtorch
	@echo ">> libtorch -> $$(readlink libtorch)"

build: libtorch
	$(CARGO) build --workspace --all-targets

## run: the API and the built web client at http://127.0.0.1:8080/, with the
## demo shop and community seeded into an empty database first.
run: libtorch web-build
	$(CARGO) run --bin vitrine -- seed-demo --if-empty
	$(CARGO) run --bin vitrine -- serve

## demo: `run`, with the demo shop seeded first (once per database).
demo: libtorch web-build
	$(CARGO) run --bin vitrine -- seed-demo
	$(CARGO) run --bin vitrine -- serve

migrate: libtorch
	$(CARGO) run --bin vitrine -- migrate

schema: libtorch
	$(CARGO) run --quiet --bin vitrine -- schema > schema/schema.graphql

## test: the whole suite, SQLite and PostgreSQL (and Redis where used), and
## every workspace crate's own tests (crates/recommender). With CI=true a
## PostgreSQL or Redis that cannot be reached fails the run; without it those
## tests are skipped, each recorded in $(SKIPS) (tests/common), and the run
## ends with a loud summary of how many were skipped and why.
SKIPS := $(or $(CARGO_TARGET_DIR),target)/tmp/skipped-tests.txt
test: libtorch browser moto xmllint web-build web-e2e-deps
	@rm -f $(SKIPS)
	@status=0; $(CARGO) test --workspace --no-fail-fast -- --test-threads=4 || status=$$?; \
	if [ -s $(SKIPS) ]; then \
	  echo; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo "!! $$(wc -l < $(SKIPS)) TESTS WERE SKIPPED: a service they need was unreachable."; \
	  echo "!! They passed without running. Start the services, or run with CI=true"; \
	  echo "!! to make a missing service a failure. By service:"; \
	  sed -E 's/^\[([^]]*)\].*/\1/' $(SKIPS) | sort | uniq -c | sed 's/^/!!   /'; \
	  echo "!! Each skip ([service] test binary::test: why):"; \
	  sed 's/^/!!   /' $(SKIPS); \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	fi; \
	exit $$status

## The web client (web/: React, TypeScript, Vite; issue 23). Its npm packages
## come from web/package-lock.json; `web-build` type-checks and builds it into
## web/dist (served at / by the API, VITRINE_WEB_DIR) when a source, the
## schema or the frontend contract changed since the last build.
WEB := web
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f -not -path '$(WEB)/src/gql/*' 2>/dev/null) \
  $(wildcard $(WEB)/index.html $(WEB)/*.ts $(WEB)/tsconfig*.json) $(WEB)/package.json \
  schema/schema.graphql frontend-contract/manifest.json $(wildcard frontend-contract/operations/web/*.graphql)
web-deps: $(WEB)/node_modules/.package-lock.json
$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json $(WEB)/package.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
web-build: $(WEB)/dist/index.html
$(WEB)/dist/index.html: $(WEB)/node_modules/.package-lock.json $(WEB_SOURCES)
	cd $(WEB) && npm run build
	@touch $@

## web: the Vite development server (hot reload) on :5173, proxying /graphql
## (and its WebSocket), /files and /uploads to the API on :8080 (VITRINE_API
## names another); run `make run` (or `cargo run -- serve`) beside it.
web: $(WEB)/node_modules/.package-lock.json
	cd $(WEB) && npm run dev

## web-e2e-deps: playwright-core and axe-core of the browser tests
## (tests/web-e2e, from its lockfile); they drive Debian's chromium (browser).
WEB_E2E := tests/web-e2e
web-e2e-deps: browser $(WEB_E2E)/node_modules/.package-lock.json
$(WEB_E2E)/node_modules/.package-lock.json: $(WEB_E2E)/package-lock.json $(WEB_E2E)/package.json
	cd $(WEB_E2E) && npm ci --no-audit --no-fund --loglevel=error

## moto: the S3-compatible server tests/storage.rs starts (PyPI, into $(VENV)).
MOTO_VERSION := 5.2.5
moto: libtorch $(VENV)/bin/moto_server
$(VENV)/bin/moto_server:
	@echo ">> installing moto[server]==$(MOTO_VERSION) into $(VENV)"
	@# --no-warn-conflicts: torch is in $(VENV) without its dependency tree on
	@# purpose (see libtorch), which pip would otherwise list as errors.
	@$(VENV)/bin/pip install --disable-pip-version-check -q --no-warn-conflicts "moto[server]==$(MOTO_VERSION)"

## browser: the Chromium that tests/http.rs and the web client's browser tests
## (tests/web.rs) drive (the Debian package, installed with apt when missing;
## VITRINE_CHROMIUM names another), and a Korean font (fonts-nanum) so the
## Korean pages' screenshots are legible.
browser:
	@if [ -z "$$VITRINE_CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1 \
	    && ! command -v chromium-browser >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then \
	  echo ">> installing chromium with apt (one time)"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  ( $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium fonts-nanum >/dev/null ) \
	    || echo "!! could not install chromium: the browser tests are skipped (a failure with CI=true)"; \
	elif [ ! -d /usr/share/fonts/truetype/nanum ] && command -v apt-get >/dev/null 2>&1; then \
	  echo ">> installing fonts-nanum with apt (one time: Korean text in the browser tests' screenshots)"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  ( $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq fonts-nanum >/dev/null ) \
	    || echo "!! could not install fonts-nanum: Korean screenshots show boxes"; \
	fi

## xmllint: the XML Schema validator tests/seo.rs checks the sitemap with
## (Debian's libxml2-utils, installed with apt when missing).
xmllint:
	@if ! command -v xmllint >/dev/null 2>&1; then \
	  echo ">> installing libxml2-utils with apt (one time)"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  ( $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq libxml2-utils >/dev/null ) \
	    || echo "!! could not install libxml2-utils: the sitemap schema test fails"; \
	fi

## wrk: the HTTP load generator of bench-peers (Debian's wrk, installed
## with apt when missing).
wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  echo ">> installing wrk with apt (one time)"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  ( $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq wrk >/dev/null ) \
	    || { echo "!! could not install wrk: bench-peers cannot run"; exit 1; }; \
	fi

## The Node.js peers of bench-peers, installed from their lockfile when
## node_modules is missing or older than the lockfile.
PEERS := bench/peers
$(PEERS)/node_modules/.package-lock.json: $(PEERS)/package-lock.json $(PEERS)/package.json
	cd $(PEERS) && npm ci --no-audit --no-fund --loglevel=error

## bench: release build, results written under bench/results/.
bench: libtorch wrk $(PEERS)/node_modules/.package-lock.json
	$(CARGO) run --release -p vitrine-bench --bin vitrine-bench
	$(CARGO) run --release -p vitrine-bench --bin realtime-bench
	$(CARGO) run --release -p vitrine-bench --bin ml-bench
	$(CARGO) run --release -p vitrine-bench --bin search-bench
	$(CARGO) run --release -p vitrine-bench --bin jobs-bench
	$(CARGO) run --release -p vitrine-bench --bin media-bench
	$(CARGO) run --release -p vitrine-bench --bin seo-bench
	$(CARGO) run --release -p vitrine-bench --bin shopping-bench
	$(CARGO) run --release -p vitrine-bench --bin assistant-bench
	$(CARGO) build --release --bin vitrine
	$(CARGO) build --release -p vitrine-bench --bin peers-bench --bin bare-graphql
	$(or $(CARGO_TARGET_DIR),target)/release/peers-bench

## bench-peers: only the peer benchmark (bench/results/peers.md): vitrine
## beside Node.js peers (Apollo Server, graphql-yoga; bench/peers/) and a
## bare async-graphql server on the same queries and demo SQLite file, each
## pinned to CPU 1 with wrk on CPU 0; vitrine on PostgreSQL beside.
bench-peers: libtorch wrk $(PEERS)/node_modules/.package-lock.json
	$(CARGO) build --release --bin vitrine
	$(CARGO) build --release -p vitrine-bench --bin peers-bench --bin bare-graphql
	$(or $(CARGO_TARGET_DIR),target)/release/peers-bench

## bench-search: only the search benchmark (100,000 products + 100,000 posts).
bench-search: libtorch
	$(CARGO) run --release -p vitrine-bench --bin search-bench

## reindex: rebuild the search index from the database (a fresh index swapped
## in; with a server running, queued as a job for it and followed here).
reindex: libtorch
	$(CARGO) run --bin vitrine -- search reindex

## bench-jobs: only the job-queue benchmark (SQLite and PostgreSQL, 1 and 2 instances).
bench-jobs: libtorch
	$(CARGO) run --release -p vitrine-bench --bin jobs-bench

## bench-seo: only the sitemap benchmark (200,000 products).
bench-seo: libtorch
	$(CARGO) run --release -p vitrine-bench --bin seo-bench

## bench-assistant: only the help assistant benchmark (retrieval, first token).
bench-assistant: libtorch
	$(CARGO) run --release -p vitrine-bench --bin assistant-bench

## bench-shopping: only the visual-shopping benchmark (shoppingSuggestions
## p99 with one provider timing out, against every provider answering).
bench-shopping: libtorch
	$(CARGO) run --release -p vitrine-bench --bin shopping-bench

## bench-media: only the media benchmark (colour analysis, offline generation,
## image variants, generateDesign → DESIGN_READY with a fake provider).
bench-media: libtorch
	$(CARGO) run --release -p vitrine-bench --bin media-bench

## bench-realtime: only the WebSocket benchmark (10,000 idle subscribers).
bench-realtime: libtorch
	$(CARGO) run --release -p vitrine-bench --bin realtime-bench

## bench-ml: only the recommender benchmark (top-k latency, training
## throughput), on the recommender crate.
bench-ml: libtorch
	$(CARGO) run --release -p vitrine-bench --bin ml-bench

## ml-eval: the offline evaluation of the README (reports/ml-eval-online-retail.*).
ml-eval: libtorch
	$(CARGO) run --release --bin vitrine -- ml eval --dataset online-retail

## graphiql-assets: refreshes assets/graphiql/dist (compiled into the binary
## and served at /graphiql/*) from the npm packages pinned in
## assets/graphiql/package-lock.json. Run after changing those pins; a test
## (tests/http.rs) fails when the committed files drift from the lockfile.
GRAPHIQL_FILES := graphiql/graphiql.min.css graphiql/graphiql.min.js \
  react/umd/react.production.min.js react-dom/umd/react-dom.production.min.js \
  graphql-ws/umd/graphql-ws.min.js
graphiql-assets:
	cd assets/graphiql && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p assets/graphiql/dist
	for f in $(GRAPHIQL_FILES); do cp assets/graphiql/node_modules/$$f assets/graphiql/dist/; done

fmt:
	$(CARGO) fmt --all

lint: libtorch
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
