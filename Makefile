# chainctl — the commands the README shows.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/chainctl/chainctl/internal/version.Version=$(VERSION)
IMAGE     ?= chainctl/link:latest
NETFAULT_IMAGE ?= chainctl/netfault:latest
TOPOLOGY  ?= topologies/abc.yaml
# The legacy builder needs nothing but the engine: no buildx, no registry.
export DOCKER_BUILDKIT = 0

.PHONY: all build image up down test test-long test-short fuzz vet fmt bench soak clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/chainctl ./cmd/chainctl
	CGO_ENABLED=0 $(GO) build -trimpath -tags nethttpomithttp2 -ldflags '-s -w' -o bin/link ./cmd/link
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/netfault ./cmd/netfault

image: build
	docker build -q -t $(IMAGE) . >/dev/null
	@docker image inspect $(IMAGE) --format '$(IMAGE): {{.Size}} bytes'
	@# .dockerignore lets only bin/link through: the helper's context is a tar of its two files.
	tar -cf - Dockerfile.netfault bin/netfault | docker build -q -f Dockerfile.netfault -t $(NETFAULT_IMAGE) - >/dev/null
	@docker image inspect $(NETFAULT_IMAGE) --format '$(NETFAULT_IMAGE): {{.Size}} bytes'

up: image
	bin/chainctl up $(TOPOLOGY)

down: build
	bin/chainctl down -f $(TOPOLOGY)

# The e2e tests run the built binaries against the real daemon.
test: image
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 12m ./...

# The full-length load test (60 s instead of the 10 s that make test runs).
test-long: image
	CHAINCTL_LOAD_SECONDS=60 $(GO) test -count=1 -run 'TestChainUnderLoad' -v ./e2e

test-short:
	$(GO) test -short ./...

# The topology and compose loaders must never panic, whatever the bytes
# (CI runs this). go test takes one fuzz target per run. The budgets are
# counts of executions, not durations: with a duration, Go 1.26's fuzz
# coordinator can report its own deadline as a failure (golang/go#75804).
FUZZ_PARSE_EXECS   ?= 300000x
FUZZ_COMPOSE_EXECS ?= 150000x
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZ_PARSE_EXECS) -fuzzminimizetime=200x ./internal/topology
	$(GO) test -run='^$$' -fuzz=FuzzLoadCompose -fuzztime=$(FUZZ_COMPOSE_EXECS) -fuzzminimizetime=200x ./internal/compose

fmt:
	gofmt -l -w .

# Medians and ratios against the raw-API floor and docker compose, one run;
# then the network faults (bench/netbench: set/heal, delay accuracy, the
# relay's overhead and throughput), with NETBENCH_FLAGS passed on.
BENCH_N    ?= 3,20,100,200
BENCH_RUNS ?= 5
BENCH_LARGE_RUNS ?= 1
NETBENCH_FLAGS ?=
bench: image
	$(GO) run ./bench -n $(BENCH_N) -runs $(BENCH_RUNS) -large-runs $(BENCH_LARGE_RUNS) -chainctl bin/chainctl
	$(GO) run ./bench/netbench -chainctl bin/chainctl $(NETBENCH_FLAGS)

# Up and down again and again, counting what the engine still holds after
# each down (RELIABILITY.md): 20 cycles of 50 services with the image's
# probe, then 5 of 200 with a probe every 10 s.
SOAK_FLAGS ?=
soak: image
	$(GO) run ./bench/soak -n 50 -cycles 20 -chainctl bin/chainctl $(SOAK_FLAGS)
	$(GO) run ./bench/soak -n 200 -cycles 5 -health-interval 10s -chainctl bin/chainctl $(SOAK_FLAGS)

clean:
	rm -rf bin
