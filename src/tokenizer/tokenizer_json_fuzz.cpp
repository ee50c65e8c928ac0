// libFuzzer harness: Tokenizer::FromJson on arbitrary bytes must either fail with a Status or
// give a tokenizer that encodes and decodes without crashing. Input = tokenizer.json bytes,
// optionally followed by "\0" and tokenizer_config.json bytes. Not built by CMake; by hand:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address -Isrc src/tokenizer/tokenizer_json_fuzz.cpp \
//     $(ls src/tokenizer/*.cpp | grep -v -e _test.cpp -e _fuzz.cpp) src/core/status.cpp \
//     src/core/logging.cpp -lpcre2-8 -licuuc -o tokenizer_json_fuzz
//   ./tokenizer_json_fuzz -max_len=4096 FUZZ_CORPUS tests/data/tokenizer/fuzz_seeds
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/logging.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  dsi::SetMinLogLevel(dsi::LogLevel::kError);  // malformed files warn a lot
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using dsi::tokenizer::StreamDecoder;
  using dsi::tokenizer::Tokenizer;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view json = input.substr(0, nul);
  const std::string_view config = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  auto tok = Tokenizer::FromJson(json, config);
  if (!tok.ok()) {
    if (tok.status().message().empty()) __builtin_trap();  // every error must say something
    return 0;
  }
  static const char* const kTexts[] = {"Hello world! 123 4567", "  \t\n\r\n<s> </s> [MASK]",
                                       "你好，世界 こんにちは 🫨👍🏽", "caf\xC3\xA9 e\xCC\x81 \xFF\xC0\x80"};
  for (const char* text : kTexts) {
    for (bool split : {false, true}) {
      const auto ids = tok->Encode(text, {.add_special_tokens = true, .split_special_tokens = split});
      for (bool skip : {false, true}) {
        const std::string decoded = tok->Decode(ids, skip);
        StreamDecoder stream(*tok, skip);
        std::string streamed;
        for (int32_t id : ids) streamed += stream.Step(id);
        streamed += stream.Finish();
        if (tok->byte_level_decoding() && streamed != decoded) __builtin_trap();
      }
    }
  }
  return 0;
}
