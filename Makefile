# wasipool — top-level entry points. `make demo` and `make test` work on a fresh Debian 12 machine:
# they install the Debian packages they need (only when missing), configure, build and run.
SHELL := /bin/bash
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
# The fuzz build is a separate clang build dir (libFuzzer + ASan/UBSan); seeds come from $(BUILD).
FUZZ_BUILD ?= $(BUILD)-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGET ?= fuzz_load
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_TTRPC_SMOKE_SECONDS ?= 20

# Debian packages and why (see README "Dependencies").
PACKAGES := build-essential cmake ninja-build clang lld-14 libclang-rt-14-dev \
            wasi-libc libclang-rt-14-dev-wasm32 wabt \
            libgtest-dev libgmock-dev nlohmann-json3-dev \
            git ca-certificates hyperfine time \
            libtomlplusplus-dev libboost1.74-dev libsqlite3-dev curl redis-server wrk \
            libprotobuf-dev protobuf-compiler libssl-dev \
            containerd runc busybox-static iproute2 \
            docker-registry containernetworking-plugins python3-grpcio python3-grpc-tools python3-yaml

.PHONY: all deps build test demo fuzz bench clean
all: build

deps:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	FUZZ_SEED=1 FUZZ_JOBS=$(JOBS) fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS) $(BUILD)
	FUZZ_SEED=1 FUZZ_JOBS=$(JOBS) FUZZ_TARGET=fuzz_ttrpc fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TTRPC_SMOKE_SECONDS) $(BUILD)

# Serves the example Spin app (examples/hello/spin.toml) until Ctrl-C: curl 127.0.0.1:3000/hello
demo: build
	$(BUILD)/wasipool serve --listen 127.0.0.1:3000 $(BUILD)/examples/spin.toml

bench: build
	bench/run.sh $(BUILD)
	bench/startup.sh $(BUILD)
	bench/serve.sh $(BUILD)
	bench/pods.sh $(BUILD)
	bench/cri_podstart.sh $(BUILD) 50

# `make fuzz FUZZ_SECONDS=1800`; FUZZ_CALL=1 also runs exported functions (see fuzz/fuzz_load.cpp);
# FUZZ_TARGET=fuzz_ttrpc|fuzz_slightfile picks another target (fuzz/run.sh).
fuzz: build
	FUZZ_JOBS=$(JOBS) FUZZ_CALL=$(FUZZ_CALL) FUZZ_TARGET=$(FUZZ_TARGET) fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(BUILD)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
