# Thin wrapper over CMake: make | make test | make test-asan | make fuzz | make bench | make install PREFIX=dir
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
CMAKE_FLAGS ?=

.PHONY: all test test-asan test-cuda fuzz bench install clean demo

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

# the ctest suite on an NVIDIA GPU (DEV=CUDA; needs the driver, and NVRTC at run time). CUDA_CTEST_FLAGS adds
# ctest options. Where there is no GPU, tests on DEV=CUDA fail with "CUDA: no NVIDIA driver ..." / "... no GPU".
CUDA_BUILD ?= build-cuda
CUDA_CTEST_FLAGS ?=
$(CUDA_BUILD)/Makefile:
	cmake -S . -B $(CUDA_BUILD) $(CMAKE_FLAGS)

test-cuda: $(CUDA_BUILD)/Makefile
	cmake --build $(CUDA_BUILD) -j $(JOBS)
	cd $(CUDA_BUILD) && DEV=CUDA ctest --output-on-failure -j $(JOBS) $(CUDA_CTEST_FLAGS)

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
