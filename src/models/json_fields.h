// JsonFields: typed reads of one JSON object's keys that collect every problem as a message
// naming the field ("field 'hidden_size' must be an integer, got string \"64\"") instead of
// throwing, so one run reports all mistakes of a config.json at once.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsi::models {

class JsonFields {
 public:
  // `prefix` is prepended to field names in messages ("rope_scaling." for a sub-object).
  // `errors` collects the messages; it must outlive this object.
  JsonFields(const nlohmann::json& object, std::string prefix, std::vector<std::string>* errors)
      : object_(object), prefix_(std::move(prefix)), errors_(errors) {}

  // The value, or nullptr when the key is absent or JSON null (HF treats both as "unset").
  const nlohmann::json* Get(std::string_view key) const;
  bool Has(std::string_view key) const { return Get(key) != nullptr; }
  const nlohmann::json& object() const { return object_; }

  // Integers: JSON integers only (no floats, no booleans, no strings).
  std::optional<int64_t> OptInt(std::string_view key);
  // Missing => "field 'k' is missing"; outside [lo, hi] => a range error; returns 0 on error.
  int64_t RequiredInt(std::string_view key, int64_t lo, int64_t hi);
  // Checks lo <= value <= hi on a value read from `key` (no-op for nullopt).
  void CheckRange(std::string_view key, std::optional<int64_t> value, int64_t lo, int64_t hi);

  // Numbers: integers are accepted as floats ("factor": 40).
  std::optional<double> OptFloat(std::string_view key);
  double Float(std::string_view key, double default_value) {
    return OptFloat(key).value_or(default_value);
  }
  std::optional<bool> OptBool(std::string_view key);
  bool Bool(std::string_view key, bool default_value) {
    return OptBool(key).value_or(default_value);
  }
  std::optional<std::string> OptString(std::string_view key);
  std::string String(std::string_view key, std::string default_value) {
    return OptString(key).value_or(std::move(default_value));
  }
  // An int or a list of ints (eos_token_id); empty when unset.
  std::vector<int64_t> IntOrIntList(std::string_view key);

  void Error(std::string_view key, std::string_view what);
  std::string FieldName(std::string_view key) const { return prefix_ + std::string(key); }

 private:
  const nlohmann::json& object_;
  std::string prefix_;
  std::vector<std::string>* errors_;
};

// "string \"64\"", "number 1.5", "array [1,2]" — a short description for messages.
std::string DescribeJson(const nlohmann::json& value);

}  // namespace dsi::models
