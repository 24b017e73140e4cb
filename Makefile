# Thin wrapper: set-up (Debian packages), configure, build, test. The real build is CMake + Ninja.
#   make demo        set-up + build + optimize the shipped teacher for a Cortex-M4 (report.html, best.onnx)
#   make check       set-up + build + all tests but the `slow` label
#   make check SAN=1 the same with AddressSanitizer + UndefinedBehaviorSanitizer (separate build dir)
#   make bench       benchmarks against PyTorch and onnxruntime; JSON in bench/results/
SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-san
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=Debug -DTINYOPT_SANITIZE=ON
else
BUILD ?= build
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=Release
endif
JOBS ?= $(shell nproc)
TINYOPT := $(BUILD)/tinyopt
# The demo: `optimize` the shipped teacher for a Cortex-M4 under a 64 KiB flash / 32 KiB RAM budget
# (docs/optimize.md). DEMO_TIME sizes the search (seconds on a quiet 2-core machine).
DEFAULT_MODEL := $(firstword $(wildcard models/fmnist-cnn.onnx) $(BUILD)/demo/fmnist-ds.onnx)
DEMO_TARGET ?= cortex-m4
DEMO_BUDGET ?= --max-flash 64KiB --max-ram 32KiB
DEMO_TIME ?= 300
DEMO_OUT ?= $(BUILD)/demo/optimize

.PHONY: all deps configure build check demo bench clean
all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE slow

demo: build $(DEFAULT_MODEL)
	$(TINYOPT) optimize $(DEFAULT_MODEL) --data fashion-mnist --target $(DEMO_TARGET) $(DEMO_BUDGET) \
	    --time-budget $(DEMO_TIME) -o $(DEMO_OUT)
	@echo "report: $(DEMO_OUT)/report.html  model: $(DEMO_OUT)/best.onnx"

$(BUILD)/demo/fmnist-ds.onnx: | build
	@mkdir -p $(dir $@)
	$(TINYOPT) train --arch fmnist-ds --data fashion-mnist --epochs 1 --optimizer adam --lr 0.005 --seed 1 -o $@

bench: build
	@scripts/install-deps.sh --peers
	bench/run.sh $(BUILD)

clean:
	rm -rf build build-san
