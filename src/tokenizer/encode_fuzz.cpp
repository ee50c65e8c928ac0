// libFuzzer harness: encoding arbitrary bytes with the real DeepSeek-V3 tokenizer and the
// Qwen2-style one (NFC) never crashes, decode(encode(x)) gives x with invalid UTF-8 replaced
// (V3: no normalizer), and the streaming detokenizer reproduces decode. Not built by CMake:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address -Isrc \
//     -DDSI_FUZZ_DATA_DIR="\"$PWD/tests/data/tokenizer\"" src/tokenizer/encode_fuzz.cpp \
//     $(ls src/tokenizer/*.cpp | grep -v -e _test.cpp -e _fuzz.cpp) src/core/status.cpp \
//     src/core/logging.cpp -lpcre2-8 -licuuc -o encode_fuzz
//   ./encode_fuzz -max_len=2048 FUZZ_CORPUS
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

#ifndef DSI_FUZZ_DATA_DIR
#define DSI_FUZZ_DATA_DIR "tests/data/tokenizer"
#endif

namespace {

using dsi::tokenizer::StreamDecoder;
using dsi::tokenizer::Tokenizer;

std::unique_ptr<Tokenizer> Load(const char* name) {
  auto tok = Tokenizer::FromDirectory(std::string(DSI_FUZZ_DATA_DIR) + "/" + name);
  if (!tok.ok()) std::abort();
  return std::make_unique<Tokenizer>(std::move(tok).value());
}

std::unique_ptr<Tokenizer> g_v3, g_qwen;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_v3 = Load("deepseek-v3");
  g_qwen = Load("qwen2-style");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool split = data[0] & 1;  // first byte: options
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (const Tokenizer* tok : {g_v3.get(), g_qwen.get()}) {
    const auto ids = tok->Encode(text, {.add_special_tokens = false, .split_special_tokens = split});
    const std::string decoded = tok->Decode(ids);
    if (!dsi::tokenizer::IsValidUtf8(decoded)) __builtin_trap();
    if (tok == g_v3.get() && decoded != dsi::tokenizer::SanitizeUtf8(text)) __builtin_trap();
    StreamDecoder stream(*tok);
    std::string streamed;
    for (int32_t id : ids) {
      const std::string piece = stream.Step(id);
      if (!dsi::tokenizer::IsValidUtf8(piece)) __builtin_trap();
      streamed += piece;
    }
    streamed += stream.Finish();
    if (streamed != decoded) __builtin_trap();
  }
  return 0;
}
