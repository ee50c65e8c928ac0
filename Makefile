# Front door: `make run` sets up, builds and runs the main job; `make test` sets up,
# builds and runs every test (this is what CI runs).
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
DSINFER = $(BUILD)/apps/dsinfer
DEMO_MODEL = $(BUILD)/demo-model

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
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target dsi_core_test dsi_loader_test
	ASAN_OPTIONS=allocator_may_return_null=1 ctest --test-dir $(ASAN_BUILD) --output-on-failure -R '^(core|loader)$$'

test: test-unit test-asan

run: build
	$(DSINFER) info
	rm -rf $(DEMO_MODEL) && $(DSINFER) random-checkpoint tests/data/configs/deepseek_v3.json $(DEMO_MODEL)
	$(DSINFER) inspect $(DEMO_MODEL)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
