// libFuzzer harness: parses and renders arbitrary template text with a small fixed context
// and tight render limits. Not part of the CMake build; build and run by hand:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     $(ls src/chat_template/*.cpp | grep -v -e _test.cpp -e _fuzz.cpp) \
//     src/chat_template/template_fuzz.cpp src/core/status.cpp -o /tmp/template_fuzz
//   /tmp/template_fuzz -dict=src/chat_template/template_fuzz.dict -max_len=4096 \
//     -max_total_time=300 /tmp/template_corpus
#include <cstddef>
#include <cstdint>
#include <string>

#include "chat_template/chat_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using dsi::chat_template::ChatTemplate;
  using dsi::chat_template::RenderOptions;
  static const nlohmann::ordered_json context = {
      {"messages",
       {{{"role", "system"}, {"content", "sys"}},
        {{"role", "user"}, {"content", "hi </think> {{ x }}"}},
        {{"role", "assistant"},
         {"content", nullptr},
         {"tool_calls",
          {{{"type", "function"}, {"function", {{"name", "f"}, {"arguments", "{\"a\": 1}"}}}}}}},
        {{"role", "tool"}, {"content", "42"}},
        {{"role", "assistant"}, {"content", "<think>r</think>ok"}}}},
      {"tools", {{{"type", "function"}, {"function", {{"name", "f"}, {"parameters", {}}}}}}},
      {"add_generation_prompt", true},
      {"bos_token", "<s>"},
      {"eos_token", "</s>"},
      {"x", {1, 2.5, "s", nullptr, true, {{"k", "v"}}}}};
  RenderOptions options;
  options.max_output_bytes = 1 << 20;
  options.max_items = 100000;
  options.max_loop_iterations = 100000;
  options.max_call_depth = 64;
  std::tm tm{};
  tm.tm_year = 124;
  tm.tm_mday = 1;
  options.fixed_time = tm;
  auto parsed = ChatTemplate::Parse(std::string(reinterpret_cast<const char*>(data), size));
  if (parsed.ok()) {
    auto rendered = parsed->Render(context, options);
    (void)rendered;
  }
  return 0;
}
