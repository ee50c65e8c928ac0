# Front door: `make run` sets up, builds and runs the main job; `make test` sets up,
# builds and runs every test (this is what CI runs).
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
DSINFER = $(BUILD)/apps/dsinfer

.PHONY: setup build test test-unit test-asan run clean

setup:
	scripts/setup

build: setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The loader and core tests again under AddressSanitizer + UBSan.
test-asan: setup
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDSI_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target dsi_core_test dsi_loader_test dsi_runtime_test
	ASAN_OPTIONS=allocator_may_return_null=1 ctest --test-dir $(ASAN_BUILD) --output-on-failure -R '^(core|loader|runtime)$$'

test: test-unit test-asan

run: build
	$(DSINFER) info
	$(DSINFER) inspect models/dsv3-tiny-en-zh
	$(DSINFER) run -p "The kernel module" -n 40 --temperature 0.7 --top-p 0.9 --seed 1
	$(DSINFER) run -p "我们的系统" -n 40 --temperature 0.7 --top-p 0.9 --seed 1

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
