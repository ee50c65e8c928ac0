// libFuzzer harness for the safetensors parser (ParseSafetensorsHeader, which Open uses).
// Not part of the CMake build (dsi_library skips *_fuzz.cpp). By hand, from the repo root:
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     src/loader/safetensors_fuzz.cpp src/loader/safetensors.cpp src/core/dtype.cpp \
//     src/core/status.cpp src/core/logging.cpp src/core/tensor.cpp -o /tmp/safetensors_fuzz
//   /tmp/safetensors_fuzz -max_total_time=120 -max_len=4096 CORPUS_DIR
#include <cstddef>
#include <cstdint>
#include <string>

#include "loader/safetensors.h"

namespace {

// A violated invariant of an accepted file: crash so that libFuzzer records the input.
void Require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

// Input layout: byte 0 picks the mode.
//   even: bytes 1.. are a whole file (length prefix included).
//   odd:  byte 1 is a data length D; bytes 2.. are header JSON followed by D data bytes, and
//         the harness writes the length prefix, so mutations reach the JSON validation
//         instead of failing on the prefix.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string file;
  if ((data[0] & 1) == 0) {
    file.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  } else {
    const size_t rest = size - 2;
    const size_t data_len = data[1] <= rest ? data[1] : rest;
    const uint64_t header_len = rest - data_len;
    for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>(header_len >> (8 * i)));
    file.append(reinterpret_cast<const char*>(data) + 2, rest);
  }
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(file.data()), file.size());
  auto header = dsi::loader::ParseSafetensorsHeader(bytes, "fuzz.safetensors");
  if (!header.ok()) {
    Require(!header.status().message().empty());
    return 0;
  }
  // Accepted: the tensors tile the data section inside the input.
  Require(header->data_offset + header->data_size == file.size());
  uint64_t pos = 0;
  for (const dsi::loader::TensorInfo& t : header->tensors) {
    Require(t.begin == pos && t.begin <= t.end && t.end <= header->data_size);
    Require(t.end - t.begin ==
            static_cast<uint64_t>(t.shape.NumElements()) * dsi::DTypeSize(t.dtype));
    pos = t.end;
  }
  Require(pos == header->data_size);
  return 0;
}
