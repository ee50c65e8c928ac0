// Typed JSON field reads with collected, field-naming error messages.
#include "models/json_fields.h"

#include <limits>

namespace dsi::models {

std::string DescribeJson(const nlohmann::json& value) {
  std::string dump = value.dump();
  if (dump.size() > 40) dump = dump.substr(0, 37) + "...";
  return std::string(value.type_name()) + " " + dump;
}

const nlohmann::json* JsonFields::Get(std::string_view key) const {
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(std::string(key));
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

void JsonFields::Error(std::string_view key, std::string_view what) {
  errors_->push_back("field '" + FieldName(key) + "' " + std::string(what));
}

std::optional<int64_t> JsonFields::OptInt(std::string_view key) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      Error(key, "is too large: " + v->dump());
      return std::nullopt;
    }
    return static_cast<int64_t>(u);
  }
  if (v->is_number_integer()) return v->get<int64_t>();
  Error(key, "must be an integer, got " + DescribeJson(*v));
  return std::nullopt;
}

int64_t JsonFields::RequiredInt(std::string_view key, int64_t lo, int64_t hi) {
  if (!Has(key)) {
    Error(key, "is missing");
    return 0;
  }
  const std::optional<int64_t> value = OptInt(key);
  if (!value) return 0;
  if (*value < lo || *value > hi) {
    CheckRange(key, value, lo, hi);
    return 0;
  }
  return *value;
}

void JsonFields::CheckRange(std::string_view key, std::optional<int64_t> value, int64_t lo,
                            int64_t hi) {
  if (!value) return;
  if (*value < lo || *value > hi) {
    Error(key, "is " + std::to_string(*value) + ", expected " +
                   (lo == 1 && hi > 1 ? "a positive integer" : "a value") + " in [" +
                   std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
}

std::optional<double> JsonFields::OptFloat(std::string_view key) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) return v->get<double>();
  Error(key, "must be a number, got " + DescribeJson(*v));
  return std::nullopt;
}

std::optional<bool> JsonFields::OptBool(std::string_view key) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  Error(key, "must be true or false, got " + DescribeJson(*v));
  return std::nullopt;
}

std::optional<std::string> JsonFields::OptString(std::string_view key) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  Error(key, "must be a string, got " + DescribeJson(*v));
  return std::nullopt;
}

std::vector<int64_t> JsonFields::IntOrIntList(std::string_view key) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return {};
  if (v->is_number_integer()) return {v->get<int64_t>()};
  if (v->is_array()) {
    std::vector<int64_t> ids;
    for (const nlohmann::json& e : *v) {
      if (!e.is_number_integer()) {
        Error(key, "must be an integer or a list of integers, got an element " + DescribeJson(e));
        return {};
      }
      ids.push_back(e.get<int64_t>());
    }
    return ids;
  }
  Error(key, "must be an integer or a list of integers, got " + DescribeJson(*v));
  return {};
}

}  // namespace dsi::models
