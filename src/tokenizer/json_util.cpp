// Typed JSON field access with path-naming errors (see json_util.h).
#include "tokenizer/json_util.h"

#include <algorithm>

namespace dsi::tokenizer {

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

std::string IndexPath(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

Status WrongType(const std::string& path, std::string_view expected, const Json& got) {
  // Never dump() a structured value: nlohmann serializes recursively and hostile files nest deep.
  std::string shown;
  if (got.is_array()) {
    shown = "of " + std::to_string(got.size()) + " elements";
  } else if (got.is_object()) {
    shown = "with " + std::to_string(got.size()) + " members";
  } else {
    shown = got.dump();
    if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  }
  return InvalidArgument(path + ": expected " + std::string(expected) + ", got " +
                         got.type_name() + " " + shown);
}

const Json* OptionalMember(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<const Json*> RequiredMember(const Json& obj, std::string_view key, const std::string& path) {
  if (!obj.is_object()) return WrongType(path, "an object", obj);
  const Json* m = OptionalMember(obj, key);
  if (m == nullptr) return InvalidArgument(JoinPath(path, key) + ": missing");
  return m;
}

Result<std::string> GetString(const Json& obj, std::string_view key, const std::string& path) {
  DSI_ASSIGN_OR_RETURN(const Json* m, RequiredMember(obj, key, path));
  if (!m->is_string()) return WrongType(JoinPath(path, key), "a string", *m);
  return m->get<std::string>();
}

Result<std::string> GetStringOr(const Json& obj, std::string_view key, const std::string& path,
                                std::string_view fallback) {
  const Json* m = OptionalMember(obj, key);
  if (m == nullptr) return std::string(fallback);
  if (!m->is_string()) return WrongType(JoinPath(path, key), "a string", *m);
  return m->get<std::string>();
}

Result<bool> GetBoolOr(const Json& obj, std::string_view key, const std::string& path,
                       bool fallback) {
  const Json* m = OptionalMember(obj, key);
  if (m == nullptr) return fallback;
  if (!m->is_boolean()) return WrongType(JoinPath(path, key), "true or false", *m);
  return m->get<bool>();
}

Result<int64_t> GetIntOr(const Json& obj, std::string_view key, const std::string& path,
                         int64_t fallback) {
  const Json* m = OptionalMember(obj, key);
  if (m == nullptr) return fallback;
  if (!m->is_number_integer()) return WrongType(JoinPath(path, key), "an integer", *m);
  return m->get<int64_t>();
}

Result<const Json*> GetArray(const Json& obj, std::string_view key, const std::string& path) {
  DSI_ASSIGN_OR_RETURN(const Json* m, RequiredMember(obj, key, path));
  if (!m->is_array()) return WrongType(JoinPath(path, key), "an array", *m);
  return m;
}

Result<const Json*> GetObject(const Json& obj, std::string_view key, const std::string& path) {
  DSI_ASSIGN_OR_RETURN(const Json* m, RequiredMember(obj, key, path));
  if (!m->is_object()) return WrongType(JoinPath(path, key), "an object", *m);
  return m;
}

Result<std::string> ComponentType(const Json& component, const std::string& path) {
  if (std::count(path.begin(), path.end(), '[') > 32) {
    return InvalidArgument(path + ": components nested too deeply");
  }
  if (!component.is_object()) return WrongType(path, "an object with a \"type\"", component);
  return GetString(component, "type", path);
}

}  // namespace dsi::tokenizer
