# Thin wrapper: set-up (Debian packages), configure, build, test. The real build is CMake + Ninja.
#   make demo        set-up + build + optimize the shipped teacher for a Cortex-M4 (report.html, best.onnx,
#                    firmware/ checked byte for byte on the emulated device)
#   make check       set-up + build + all tests but the `slow` label, then the `unit` and `golden` tests
#                    again under AddressSanitizer + UndefinedBehaviorSanitizer (build-san), so a memory
#                    error, leak or undefined behaviour fails the check (what CI runs; docs/fuzzing.md)
#   make check CHECK_SAN=0  only the first pass (Release), for a quick local run
#   make check SAN=1 only the sanitized pass (build-san: Debug at -O1, ASan + UBSan, leaks detected)
#   make bench       benchmarks against PyTorch and onnxruntime; JSON in bench/results/
#   make fuzz        libFuzzer (clang, ASan+UBSan) on every input parser, FUZZ_SECONDS (60) per target;
#                    execs and coverage in bench/results/fuzz.json, findings in build-fuzz/artifacts/
SAN ?= 0
CHECK_SAN ?= 1
SAN_BUILD ?= build-san
ifeq ($(SAN),1)
BUILD ?= $(SAN_BUILD)
# -O1: the sanitized tree builds and runs about twice as fast as at -O0 and ASan still sees every access;
# -g1 keeps file:line in reports at a fraction of -g's compile time.
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=Debug -DTINYOPT_SANITIZE=ON \
               "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1" "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1"
CHECK_TARGETS ?= tests_unit tests_golden
CHECK_LABELS ?= -L "^(unit|golden)$$"
# Any report stops the test with a non-zero exit (UBSan is also built with -fno-sanitize-recover).
TEST_ENV := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
            UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
else
BUILD ?= build
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=Release
CHECK_TARGETS ?= all
CHECK_LABELS ?= -LE slow
TEST_ENV :=
endif
JOBS ?= $(shell nproc)
TINYOPT := $(BUILD)/tinyopt
# The demo: `optimize` the shipped teacher for a Cortex-M4 under a 64 KiB flash / 32 KiB RAM budget
# (docs/optimize.md). DEMO_TIME sizes the search (seconds on a quiet 2-core machine); the chosen model's
# firmware then runs DEMO_SAMPLES test images on the emulated Cortex-M4 (host accuracy = device accuracy).
# DEMO_KEEP is the one pruning level searched: the 50 % and 35 % levels do not fit 32 KiB of RAM on the
# Cortex-M4 (50 %: 35.7 KiB estimated; 35 % int4: 33,591 B measured), so the whole time budget goes to
# fine-tuning the 25 % level (~190,000 KD images; docs/optimize.md section 6 has the measured run).
DEFAULT_MODEL := $(firstword $(wildcard models/fmnist-cnn.onnx) $(BUILD)/demo/fmnist-ds.onnx)
DEMO_TARGET ?= cortex-m4
DEMO_BUDGET ?= --max-flash 64KiB --max-ram 32KiB
DEMO_TIME ?= 300
DEMO_KEEP ?= 0.25
DEMO_SAMPLES ?= 100
DEMO_OUT ?= $(BUILD)/demo/optimize

.PHONY: all deps configure build cli check demo bench fuzz clean
all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Only the command-line tool (what `make demo` runs; `emulate` builds its qemu plugin itself), not the tests.
cli: configure
	cmake --build $(BUILD) -j $(JOBS) --target tinyopt_cli

check: configure
	cmake --build $(BUILD) -j $(JOBS) --target $(CHECK_TARGETS)
	cd $(BUILD) && $(TEST_ENV) ctest --output-on-failure -j $(JOBS) $(CHECK_LABELS)
ifeq ($(SAN)$(CHECK_SAN),01)
	$(MAKE) --no-print-directory check SAN=1 BUILD=$(SAN_BUILD)
endif

# The optimize step is timed on its own (the build before it is not).
demo: cli $(DEFAULT_MODEL)
	@start=$$(date +%s); \
	$(TINYOPT) optimize $(DEFAULT_MODEL) --data fashion-mnist --target $(DEMO_TARGET) $(DEMO_BUDGET) \
	    --keep $(DEMO_KEEP) --time-budget $(DEMO_TIME) --device-samples $(DEMO_SAMPLES) -o $(DEMO_OUT) && \
	echo "optimize took $$(( $$(date +%s) - start )) s (wall)"
	@echo "report: $(DEMO_OUT)/report.html  model: $(DEMO_OUT)/best.onnx  firmware: $(DEMO_OUT)/firmware/"

$(BUILD)/demo/fmnist-ds.onnx: | cli
	@mkdir -p $(dir $@)
	$(TINYOPT) train --arch fmnist-ds --data fashion-mnist --epochs 1 --optimizer adam --lr 0.005 --seed 1 -o $@

bench: build
	@scripts/install-deps.sh --peers
	bench/run.sh $(BUILD)

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 10
FUZZ_TARGETS ?= onnx_import qdq_import idx npy csv $(if $(wildcard data/targets/*.json),target_json)
# Seeds come from real files (fuzz/make_seeds.sh), made once with the normal build's CLI.
$(FUZZ_BUILD)/seeds/.done: fuzz/make_seeds.sh | build
	fuzz/make_seeds.sh $(FUZZ_BUILD)/seeds $(TINYOPT)
	touch $@

$(FUZZ_BUILD)/build.ninja: fuzz/CMakeLists.txt CMakeLists.txt | deps
	cmake -S fuzz -B $(FUZZ_BUILD) -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++

fuzz: $(FUZZ_BUILD)/build.ninja $(FUZZ_BUILD)/seeds/.done
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addsuffix _fuzz,$(FUZZ_TARGETS))
	FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) bench/results/fuzz.json $(FUZZ_TARGETS)

clean:
	rm -rf build $(SAN_BUILD) $(FUZZ_BUILD)
