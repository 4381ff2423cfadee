# fakegraf developer targets. `make help` lists them.
TELEGRAF_VERSION := v1.37.2
# The inputs fakegraf serves and the parsers its parity cases use
# (form_urlencoded: http_listener_v2 with data_source = "query").
TELEGRAF_TAGS    := custom,inputs.socket_listener,inputs.influxdb_listener,inputs.influxdb_v2_listener,inputs.http_listener_v2,inputs.statsd,outputs.file,outputs.discard,parsers.json,parsers.influx,parsers.wavefront,parsers.value,parsers.form_urlencoded,serializers.influx
CACHE            := $(CURDIR)/.cache
TELEGRAF_BIN     ?= $(CACHE)/bin/telegraf
FUZZTIME         ?= 10s
SOAKTIME         ?= 10m
RUNS             ?= 3
# staticcheck 2026.2.2, which knows Go 1.26; go run builds it once into the build cache.
STATICCHECK      := go run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: FORCE help build image pytest test race lint fuzz golden docs screenshot chromium bench bigcaptures soak parity telegraf clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build bin/fakegraf
	go build -o bin/fakegraf ./cmd/fakegraf

# The image builder is a Go module of its own (tools/image/doc.go says why).
image: ## build the container image without a Docker daemon into .cache/image: oci/ (linux/amd64 and arm64) and fakegraf.tar for docker load (docs/container.md)
	cd tools/image && go run ./build -root $(CURDIR) -out $(CACHE)/image

test: ## what CI runs: lint, unit, end-to-end, browser, container-image and pytest-plugin tests, a short fuzz run, then the parity suite against a real Telegraf
	$(MAKE) chromium
	$(MAKE) lint
	go test -count=1 ./...
	@# the benchmarks that measure issue 15's rules' and API's own costs, run once each so that they keep working
	go test -count=1 -run=NONE -bench='RulesOwnCost|APIOwnCost' -benchtime=2x ./parse/ ./api/
	cd tools/image && go test -count=1 ./...
	$(MAKE) pytest
	$(MAKE) fuzz FUZZTIME=10s
	$(MAKE) parity

# Debian's python3 and pytest (python3-pytest, python3-venv, python3-pip,
# python3-setuptools; .ci/run installs them): --system-site-packages lends
# the venv Debian's pytest, --no-build-isolation Debian's setuptools, so
# nothing comes from PyPI.
PYVENV := $(CACHE)/pyvenv
pytest: build ## the pytest plugin's tests (python/) and examples/pytest, with the plugin installed into a venv, against bin/fakegraf
	@test -x $(PYVENV)/bin/python || /usr/bin/python3 -m venv --system-site-packages $(PYVENV) || { echo "cannot make a venv: apt-get install -y python3-venv python3-pytest python3-pip python3-setuptools"; exit 1; }
	$(PYVENV)/bin/pip install --quiet --no-build-isolation --no-index ./python
	cd python && FAKEGRAF_BIN=$(CURDIR)/bin/fakegraf $(PYVENV)/bin/python -m pytest -q -p no:cacheprovider tests
	FAKEGRAF_BIN=$(CURDIR)/bin/fakegraf $(PYVENV)/bin/python -m pytest -q -p no:cacheprovider examples/pytest

race: ## the tests under the race detector
	go test -race -count=1 ./...

lint: ## gofmt -l, go vet and staticcheck (default build and -tags parity; tools/image), go mod tidy -diff
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	go vet -tags parity ./...
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags parity ./...
	@go mod tidy -diff || { echo "go.mod or go.sum is not tidy: run go mod tidy and commit the result"; exit 1; }
	cd tools/image && go vet ./... && $(STATICCHECK) ./...
	@cd tools/image && go mod tidy -diff || { echo "tools/image/go.mod or go.sum is not tidy: cd tools/image && go mod tidy"; exit 1; }

fuzz: ## run each fuzz target for FUZZTIME (default 10s); tools/fuzz.sh retries Go 1.26's deadline race once
	@bash tools/fuzz.sh $(FUZZTIME)

golden: ## rewrite the golden files in testdata/golden (review the diff before committing)
	go test ./report/ -run Golden -update

docs: ## regenerate docs/rules.md from the rule registry and docs/api.md from api/openapi.json
	go run ./cmd/fakegraf rules --markdown > docs/rules.md
	go test ./api -run TestAPIDoc -update

screenshot: chromium ## rewrite docs/screenshot.png from the page's browser test (look at it before committing)
	go test -count=1 ./web/ -run '^TestBrowserTutorial$$' -update-screenshot

# The page's tests (web/) drive Debian's chromium; without it they skip,
# unless FAKEGRAF_REQUIRE_BROWSER is set (.ci/run sets it).
chromium: ## install Debian's chromium for the browser tests when it is missing (as root, with apt-get)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get update && apt-get install -y chromium; \
	  else echo "chromium is missing: sudo apt-get install -y chromium (the browser tests in web/ skip without it)"; fi; }

bench: $(TELEGRAF_BIN) ## Go benchmarks, then fakegraf (also with the API and a page open) against a real Telegraf over loopback, median of RUNS (see docs/benchmarks.md)
	go test -run=NONE -bench=. -benchmem ./...
	go run ./bench/loopback -telegraf $(TELEGRAF_BIN) -runs $(RUNS) -variant 'api-page=+page --http 127.0.0.1:0'

BIGDIR ?= .cache/big
bigcaptures: build ## a 1 GiB fakegraf capture and a 1 GiB pcap checked under /usr/bin/time -v (max RSS, wall time; docs/benchmarks.md), then deleted
	mkdir -p $(BIGDIR)
	go test ./capture -run TestWriteBigCapture -count=1 -v -args -big-capture $(abspath $(BIGDIR))/big.fgcap
	go test ./pcap -run TestWriteBigPcap -count=1 -v -args -big-pcap $(abspath $(BIGDIR))/big.pcap
	-/usr/bin/time -v bin/fakegraf check $(BIGDIR)/big.fgcap --quiet 2>&1 >/dev/null | grep -E 'Maximum resident|Elapsed'
	-/usr/bin/time -v bin/fakegraf check --data-format influx $(BIGDIR)/big.pcap --quiet 2>&1 >/dev/null | grep -E 'Maximum resident|Elapsed'
	rm -f $(BIGDIR)/big.fgcap $(BIGDIR)/big.pcap

soak: ## fakegraf under hostile traffic for SOAKTIME (default 10m): memory, descriptors, byte accounting
	go run ./bench/soak -duration $(SOAKTIME)

telegraf: $(TELEGRAF_BIN) ## build a real Telegraf $(TELEGRAF_VERSION) from the module proxy, for parity and bench

# The cached binary is stale when it was built from another version or with
# other tags, which its mere existence cannot tell: the stamp holds both and
# is rewritten only when they change, so a changed TELEGRAF_TAGS rebuilds
# Telegraf and an unchanged one does not. A TELEGRAF_BIN given from outside
# is the caller's to keep current: it is only built when missing.
TELEGRAF_STAMP   := $(CACHE)/bin/telegraf.build
$(TELEGRAF_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(TELEGRAF_VERSION) $(TELEGRAF_TAGS)' | cmp -s - $@ || echo '$(TELEGRAF_VERSION) $(TELEGRAF_TAGS)' > $@

ifeq ($(origin TELEGRAF_BIN),file)
$(TELEGRAF_BIN): $(TELEGRAF_STAMP)
endif

# touch: go install leaves an up-to-date binary untouched, which would keep
# it older than the stamp and rebuild it on every run.
$(TELEGRAF_BIN):
	GOBIN=$(CACHE)/bin go install -tags "$(TELEGRAF_TAGS)" github.com/influxdata/telegraf/cmd/telegraf@$(TELEGRAF_VERSION)
	touch $@

parity: $(TELEGRAF_BIN) ## differential suite: the same bytes into fakegraf and a real Telegraf, with the agreement table
	go test -c -tags parity -o $(CACHE)/parity.test ./parity
	cd parity && FAKEGRAF_TELEGRAF=$(TELEGRAF_BIN) $(CACHE)/parity.test -test.timeout 20m

clean: ## remove build output and the Telegraf cache
	rm -rf bin $(CACHE)
