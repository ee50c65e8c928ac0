// Bad config.json values never crash: every key of every test config is replaced by values of
// wrong types and sizes; parsing either fails with a message naming that key or yields a
// config whose table, counts and check run.
#include <gtest/gtest.h>

#include "models/config.h"
#include "models/model_stats.h"
#include "models/tensor_check.h"
#include "models/tensor_table.h"
#include "testing/test_util.h"

namespace dsi::models {
namespace {

using nlohmann::json;

TEST(ConfigMutationTest, EveryKeyWithEveryBadValue) {
  const json kValues[] = {nullptr,
                          -1,
                          0,
                          1,
                          3,
                          7,
                          1.5,
                          "x",
                          true,
                          json::array(),
                          json::object(),
                          int64_t{1} << 40,
                          json::array({1, 2}),
                          json::object({{"type", 1}})};
  int parsed = 0, rejected = 0;
  for (const char* name : {"llama.json", "qwen2.json", "deepseek_v2_lite.json", "deepseek_v2.json",
                           "deepseek_v3.json", "deepseek_v3_fp8.json"}) {
    const json base =
        json::parse(testing::ReadFile(testing::SourceDir() / "tests/data/configs" / name));
    for (const auto& [key, unused] : base.items()) {
      for (const json& value : kValues) {
        json j = base;
        j[key] = value;
        Result<ModelConfig> c = ParseModelConfig(j);
        if (!c.ok()) {
          ++rejected;
          // The message names the mutated key (or, for a key that selects the class, the class).
          const std::string& m = c.status().message();
          EXPECT_TRUE(m.find(key) != std::string::npos ||
                      m.find("architecture") != std::string::npos ||
                      m.find("does not divide") != std::string::npos ||
                      m.find("exceeds") != std::string::npos)
              << name << " " << key << "=" << value.dump() << ": " << m;
          continue;
        }
        ++parsed;
        const ParameterCounts n = CountParameters(*c);
        EXPECT_GT(n.total, 0);
        EXPECT_LE(n.active, n.total + n.embedding);
        std::vector<ActualTensor> actual;
        ForEachParameter(*c, [&](const ExpectedTensor& t) {
          actual.push_back({t.name, t.WriteDType(DType::kBF16), t.shape});
        });
        EXPECT_TRUE(CheckTensors(*c, actual).ok()) << name << " " << key << "=" << value.dump();
        EXPECT_GE(KvCacheBytesPerToken(*c, DType::kBF16), 0);
      }
    }
  }
  EXPECT_GT(parsed, 100);
  EXPECT_GT(rejected, 100);
}

}  // namespace
}  // namespace dsi::models
