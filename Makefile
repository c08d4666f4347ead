# Tessera — build, test and benchmark. `make help` lists the targets.
SWIFT        ?= swift
# PORTABLE=1 builds the kernel for any x86-64 CPU (no AVX2/FMA; correct, slower) in its own
# build directory, so the two builds never mix.
PORTABLE     ?=
ifeq ($(PORTABLE),1)
export TESSERA_PORTABLE = 1
CONFIG_FLAGS ?= -c release --build-path .build-portable
else
CONFIG_FLAGS ?= -c release
endif
BENCH_DIR    ?= .bench
SHARED_BENCH ?= ../shared/bench
PIP_PACKAGES  = numpy threadpoolctl pyzmq
APT_PACKAGES ?= zlib1g-dev pkg-config libzmq3-dev iproute2
# For the ssh launcher test (an sshd on loopback), the no-AVX2 CPU test (qemu-user emulates
# one) and the report test (headless Chromium renders a run's report); without them those tests
# are skipped, so a failed install is reported and not fatal.
APT_TEST_PACKAGES ?= openssh-client openssh-server qemu-user chromium slurmctld slurmd slurm-client munge

.PHONY: help deps test-deps build docs test test-examples test-portable test-python test-fuzz fuzz fuzz-targets fuzz-live bench bench-deps run compare topologies stop clean
TOPOLOGY     ?= Topologies/mnist-iid-10.yaml
BIN           = $$($(SWIFT) build $(CONFIG_FLAGS) --show-bin-path)/tessera

help:
	@echo "make run     launch a topology (TOPOLOGY=Topologies/X.yaml; default mnist-iid-10)"
	@echo "make compare the heterogeneous federation under sync FedAvg and FedBuff: time to accuracy side by side"
	@echo "make topologies   list the topologies with one-line descriptions"
	@echo "make stop    stop every tessera process a launch left behind"
	@echo "make build   release build of the tessera executable (PORTABLE=1: for CPUs without AVX2/FMA)"
	@echo "make test    the test suite (what CI runs), the portable kernel's tensor tests included"
	@echo "make docs    the API reference (DocC) of every library in .build/docs; see it with"
	@echo "             python3 -m http.server -d .build/docs 8000 → http://localhost:8000/documentation/"
	@echo "make bench   kernel benchmarks beside numpy/OpenBLAS from the same run"
	@echo "make fuzz    libFuzzer on the wire decoder, the worker's handler and op programs (FUZZ_SECONDS each),"
	@echo "             and 1,000,000 mutated messages against a live worker and a live scheduler (LIVE_FUZZ_COUNT)"

# System packages the build needs. Installs them when run as root, else prints the command.
deps:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q $$missing; \
	  else echo "missing:$$missing — run: sudo apt-get install -y$$missing"; exit 1; fi; \
	fi

build: deps
	$(SWIFT) build $(CONFIG_FLAGS) --product tessera

# Python packages for the protocol test (a Python client drives a worker), the PyTorch interop
# test (a declared model's checkpoint loaded by name) and docs/DATA.md's snippets; without them
# those tests are skipped with their reason.
test-python:
	@python3 -c "import zmq, numpy" 2>/dev/null || python3 -m pip install -q pyzmq numpy 2>/dev/null || \
	  echo "note: could not install pyzmq/numpy; the Python client test will be skipped"
	@python3 -c "import torch, safetensors" 2>/dev/null || python3 -m pip install -q torch==2.13.0+cpu safetensors 2>/dev/null || \
	  echo "note: could not install torch/safetensors; the PyTorch checkpoint test will be skipped"
	@python3 -c "import datasets, pandas" 2>/dev/null || python3 -m pip install -q datasets pandas 2>/dev/null || \
	  echo "note: could not install datasets/pandas; their docs/DATA.md snippets will be skipped"

test-deps:
	@missing=""; \
	for pkg in $(APT_TEST_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; } || echo "note: could not install$$missing; the ssh launcher, no-AVX2 CPU, report or Slurm test will be skipped"; \
	  else echo "note: missing$$missing; the ssh launcher, no-AVX2 CPU, report or Slurm test will be skipped (sudo apt-get install -y$$missing)"; fi; \
	fi

test: deps test-deps test-python
	$(SWIFT) test
	$(MAKE) --no-print-directory test-examples
	$(MAKE) --no-print-directory test-portable
	$(MAKE) --no-print-directory test-fuzz
	$(MAKE) --no-print-directory docs

# The API reference: one DocC archive of every library, cross-linked, built from the doc
# comments (swift-docc-plugin). A link to a symbol that does not exist fails it, so make test
# keeps the reference whole.
DOC_TARGETS = TesseraTensor TesseraNN TesseraData TesseraWire TesseraTrace TesseraSecureAggregation \
              TesseraTransport TesseraWorker TesseraScheduler TesseraTopology TesseraCLI
docs: deps
	$(SWIFT) package --disable-sandbox generate-documentation --enable-experimental-combined-documentation \
	  --warnings-as-errors $(addprefix --target ,$(DOC_TARGETS)) --output-path .build/docs
	@echo "API reference: .build/docs (python3 -m http.server -d .build/docs 8000 → http://localhost:8000/documentation/)"

# examples/custom-strategy: a package of its own that depends on Tessera by path, built and
# tested as a user would (its tests run federations of its own program's worker processes).
test-examples: deps
	$(SWIFT) build --package-path examples/custom-strategy --build-tests
	$(SWIFT) test --package-path examples/custom-strategy --skip-build

# The portable kernel (no AVX2/FMA), built apart and checked by the tensor suites.
test-portable: deps
	TESSERA_PORTABLE=1 $(SWIFT) build --build-path .build-portable --build-tests
	TESSERA_PORTABLE=1 $(SWIFT) test --skip-build --build-path .build-portable --filter TesseraTensorTests

# libFuzzer targets (Sources/TesseraFuzz), built apart with the fuzzer and AddressSanitizer.
# Each runs FUZZ_SECONDS from a seed corpus of golden messages kept in $(FUZZ_DIR)/<target>;
# a crash stops make with the input that caused it (add it as a regression test).
FUZZ_SECONDS ?= 60
FUZZ_SEED    ?= 0
FUZZ_DIR     ?= .fuzz
FUZZ_BIN      = .build-fuzz/release/tessera-fuzz
fuzz-build: deps
	TESSERA_FUZZ=1 $(SWIFT) build -c release --build-path .build-fuzz --product tessera-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library

fuzz: fuzz-targets fuzz-live

fuzz-targets: fuzz-build
	@for target in wire worker ops; do \
	  mkdir -p $(FUZZ_DIR)/$$target $(FUZZ_DIR)/crashes; \
	  echo "fuzzing $$target for $(FUZZ_SECONDS) s"; \
	  TESSERA_FUZZ_TARGET=$$target TESSERA_FUZZ_SEEDS=$(FUZZ_DIR)/$$target $(FUZZ_BIN) $(FUZZ_DIR)/$$target \
	    -max_total_time=$(FUZZ_SECONDS) -seed=$(FUZZ_SEED) -max_len=4096 -rss_limit_mb=2048 -timeout=25 \
	    -artifact_prefix=$(FUZZ_DIR)/crashes/$$target- -print_final_stats=1 > $(FUZZ_DIR)/$$target.log 2>&1; \
	  status=$$?; grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs" $(FUZZ_DIR)/$$target.log; \
	  if [ $$status != 0 ]; then tail -60 $(FUZZ_DIR)/$$target.log; echo "fuzz $$target failed: see $(FUZZ_DIR)/crashes"; exit 1; fi; \
	done

# Mutated messages against a live worker process and a live scheduler process through their
# sockets (make test sends 20,000 each): an exit or an unanswered well-formed request fails.
LIVE_FUZZ_COUNT ?= 1000000
fuzz-live:
	$(SWIFT) build --build-tests
	TESSERA_LIVE_FUZZ_COUNT=$(LIVE_FUZZ_COUNT) $(SWIFT) test --skip-build --filter LiveFuzz

# The short fuzz run make test does: 10 s per target from a fixed seed and a fresh corpus, so
# a run repeats the inputs of the last one (a new finding comes from make fuzz, not from CI).
test-fuzz:
	rm -rf $(FUZZ_DIR)/wire $(FUZZ_DIR)/worker $(FUZZ_DIR)/ops
	$(MAKE) --no-print-directory fuzz-targets FUZZ_SECONDS=10 FUZZ_SEED=1

# The CURVE reference is pyzmq on the libzmq and libsodium Tessera links (built from source in
# a venv, SYSTEM_PYZMQ); pyzmq's wheel bundles newer ones and is shown beside it.
SYSTEM_PYZMQ ?= $(BENCH_DIR)/pyzmq-system
bench-deps:
	@python3 -c "import numpy, threadpoolctl, zmq" 2>/dev/null || \
	  python3 -m pip install -q $(PIP_PACKAGES) || \
	  { echo "run: python3 -m pip install $(PIP_PACKAGES)"; exit 1; }
	@$(SYSTEM_PYZMQ)/bin/python -c "import zmq" 2>/dev/null || \
	  { python3 -m venv --system-site-packages $(SYSTEM_PYZMQ) && \
	    $(SYSTEM_PYZMQ)/bin/pip install -q --ignore-installed --no-deps --no-binary pyzmq pyzmq; } || \
	  echo "note: could not build pyzmq on the system's libzmq; CURVE is compared with the wheel only"

bench: build bench-deps
	scripts/bench_gemm.sh "$$($(SWIFT) build $(CONFIG_FLAGS) --show-bin-path)/tessera" $(BENCH_DIR) $(SHARED_BENCH)
	TESSERA_THREADS=2 $$($(SWIFT) build $(CONFIG_FLAGS) --show-bin-path)/tessera bench conv
	SYSTEM_PYZMQ=$(SYSTEM_PYZMQ) scripts/bench_transport.sh "$$($(SWIFT) build $(CONFIG_FLAGS) --show-bin-path)/tessera" $(BENCH_DIR) $(SHARED_BENCH)

run: build
	$(BIN) launch $(TOPOLOGY)

COMPARE      ?= Topologies/mnist-hetero-sync.yaml Topologies/mnist-hetero-fedbuff.yaml
compare: build
	$(BIN) compare $(COMPARE)

topologies: build
	@$(BIN) topologies Topologies

stop:
	-@pkill -TERM -f 'tessera (launch|worker|scheduler)' && echo "stopped" || echo "nothing to stop"

clean:
	rm -rf .build $(BENCH_DIR)
