// Typed access to tokenizer.json / tokenizer_config.json fields. Every error names the field by
// its path ("pre_tokenizer.pretokenizers[2].pattern") and says what was expected.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace dsi::tokenizer {

using Json = nlohmann::json;

std::string JoinPath(std::string_view parent, std::string_view key);
std::string IndexPath(std::string_view parent, size_t index);

// "expected a string, got number 3" style error for `path`.
Status WrongType(const std::string& path, std::string_view expected, const Json& got);

// Member `key` of object `obj`; nullptr when absent or JSON null.
const Json* OptionalMember(const Json& obj, std::string_view key);
// Member `key` that must be present (and not null).
Result<const Json*> RequiredMember(const Json& obj, std::string_view key, const std::string& path);

Result<std::string> GetString(const Json& obj, std::string_view key, const std::string& path);
// Absent or null -> `fallback`.
Result<std::string> GetStringOr(const Json& obj, std::string_view key, const std::string& path,
                                std::string_view fallback);
Result<bool> GetBoolOr(const Json& obj, std::string_view key, const std::string& path,
                       bool fallback);
Result<int64_t> GetIntOr(const Json& obj, std::string_view key, const std::string& path,
                         int64_t fallback);
Result<const Json*> GetArray(const Json& obj, std::string_view key, const std::string& path);
Result<const Json*> GetObject(const Json& obj, std::string_view key, const std::string& path);

// The "type" string of a component object at `path` (which must be an object). Also refuses
// components nested more than 32 deep (Sequence in Sequence ...), so parsing a hostile file
// cannot exhaust the stack.
Result<std::string> ComponentType(const Json& component, const std::string& path);

}  // namespace dsi::tokenizer
