// Checkpoint-vs-table comparison behind `inspect` and the weight loader's validation.
#include "models/tensor_check.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "models/tensor_table.h"

namespace dsi::models {

TensorCheckReport CheckTensors(const ModelConfig& config, std::span<const ActualTensor> actual) {
  TensorCheckReport report;
  std::unordered_map<std::string_view, const ActualTensor*> by_name;
  by_name.reserve(actual.size());
  for (const ActualTensor& t : actual) by_name.emplace(t.name, &t);

  std::unordered_set<std::string> expected_names;
  size_t fp8_expected = 0, fp8_stored_as_float = 0;
  ForEachParameter(config, [&](const ExpectedTensor& e) {
    ++report.num_expected;
    expected_names.insert(e.name);
    auto it = by_name.find(e.name);
    if (it == by_name.end()) {
      report.missing.push_back(e.name);
      return;
    }
    const ActualTensor& a = *it->second;
    bool good = true;
    if (a.shape != e.shape) {
      report.wrong_shape.push_back(e.name + ": shape " + a.shape.ToString() + " expected " +
                                   e.shape.ToString());
      good = false;
    }
    if (!e.AcceptsDType(a.dtype)) {
      const std::string want =
          e.storage == TensorStorage::kModelDType || e.storage == TensorStorage::kF32
              ? "F32, BF16 or F16"
              : std::string(DTypeName(e.WriteDType(DType::kBF16)));
      report.wrong_dtype.push_back(e.name + ": dtype " + std::string(DTypeName(a.dtype)) +
                                   " expected " + want);
      good = false;
    }
    if (e.storage == TensorStorage::kFp8) {
      ++fp8_expected;
      if (a.dtype != DType::kF8E4M3) ++fp8_stored_as_float;
    }
    if (good) ++report.num_matched;
  });

  for (const ActualTensor& t : actual) {
    if (expected_names.count(t.name)) continue;
    if (std::optional<std::string> reason = IgnoreReason(config, t.name)) {
      report.ignored.push_back({t.name, *reason});
    } else {
      report.unexpected.push_back(t.name);
    }
  }
  std::sort(report.unexpected.begin(), report.unexpected.end());
  std::sort(report.ignored.begin(), report.ignored.end(),
            [](const IgnoredTensor& a, const IgnoredTensor& b) { return a.name < b.name; });

  if (fp8_expected > 0 && fp8_stored_as_float == fp8_expected) {
    report.hints.push_back(
        "config.json has an fp8 quantization_config but no weight is F8_E4M3: if the checkpoint "
        "was dequantized (e.g. fp8_cast_bf16.py), remove quantization_config from config.json");
  }
  if (!report.missing.empty() && report.missing.size() == report.num_expected) {
    report.hints.push_back("no expected tensor is present: is config.json from another model?");
  } else if (!report.wrong_shape.empty()) {
    report.hints.push_back(
        "tensor shapes disagree with config.json: is it from another checkpoint?");
  }
  return report;
}

}  // namespace dsi::models
