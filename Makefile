# Thin wrapper over CMake: make | make test | make test-asan | make fuzz | make bench | make install PREFIX=dir
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
CMAKE_FLAGS ?=

.PHONY: all test test-asan fuzz bench install clean demo

all: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/Makefile:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTG_SANITIZE=ON $(CMAKE_FLAGS)

test-asan: $(ASAN_BUILD)/Makefile
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# long fuzzing runs (FUZZ_N cases each); the default suite runs a shorter fixed-seed slice
FUZZ_N ?= 3000000
fuzz: all
	@for f in $(BUILD)/fuzz_*; do echo "== $$f"; FUZZ_N=$(FUZZ_N) $$f || exit 1; done

bench: all
	@for b in $(BUILD)/bench_*; do echo "== $$b"; $$b || exit 1; done

install:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)
	cmake --install $(BUILD) --prefix $(PREFIX)

# the main job: train tinygrad's beautiful_mnist CNN on Fashion-MNIST (Debian's dataset-fashion-mnist),
# print test accuracy and wall time, save a checkpoint, and evaluate it again from the file
demo: all
	$(BUILD)/tg train fashion-mnist --out $(BUILD)/fashion_mnist.safetensors
	$(BUILD)/tg eval $(BUILD)/fashion_mnist.safetensors

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
