// Post-processors of tokenizer.json (see post_processor.h).
#include "tokenizer/post_processor.h"

#include <sstream>

namespace dsi::tokenizer {
namespace {

Result<std::vector<int32_t>> SpecialTokenIds(const Json& specials, const std::string& name,
                                             const std::string& path) {
  const Json* entry = OptionalMember(specials, name);
  if (entry == nullptr) {
    return InvalidArgument(path + ": special token '" + name +
                           "' is not listed in post_processor.special_tokens");
  }
  const std::string epath = "post_processor.special_tokens[\"" + name + "\"]";
  DSI_ASSIGN_OR_RETURN(const Json* ids, GetArray(*entry, "ids", epath));
  std::vector<int32_t> out;
  for (const Json& id : *ids) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0) return WrongType(epath + ".ids", "ids", id);
    out.push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  return out;
}

// One template item: {"SpecialToken": {"id": ...}} or {"Sequence": {"id": "A"}}; in string
// form "$A", "$A:0", "<s>", "<s>:1".
Status AddTemplateItem(const Json& item, const Json& specials, const std::string& path,
                       bool* seen_a, std::vector<int32_t>& prefix, std::vector<int32_t>& suffix) {
  std::string special_name;
  bool is_sequence = false;
  std::string seq_id;
  if (item.is_string()) {
    std::string s = item.get<std::string>();
    if (auto colon = s.rfind(':'); colon != std::string::npos && colon > 0) s = s.substr(0, colon);
    if (!s.empty() && s[0] == '$') {
      is_sequence = true;
      seq_id = s.size() == 1 ? "A" : s.substr(1);
    } else {
      special_name = s;
    }
  } else if (const Json* st = OptionalMember(item, "SpecialToken")) {
    DSI_ASSIGN_OR_RETURN(special_name, GetString(*st, "id", JoinPath(path, "SpecialToken")));
  } else if (const Json* sq = OptionalMember(item, "Sequence")) {
    is_sequence = true;
    DSI_ASSIGN_OR_RETURN(seq_id, GetString(*sq, "id", JoinPath(path, "Sequence")));
  } else {
    return WrongType(path, "{\"SpecialToken\": ...} or {\"Sequence\": ...}", item);
  }
  if (is_sequence) {
    if (seq_id != "A") return InvalidArgument(path + ": single-sequence template uses $" + seq_id);
    if (*seen_a) return InvalidArgument(path + ": template has $A twice");
    *seen_a = true;
    return Status::Ok();
  }
  DSI_ASSIGN_OR_RETURN(std::vector<int32_t> ids, SpecialTokenIds(specials, special_name, path));
  std::vector<int32_t>& dst = *seen_a ? suffix : prefix;
  dst.insert(dst.end(), ids.begin(), ids.end());
  return Status::Ok();
}

Result<std::pair<std::string, int32_t>> TokenPair(const Json& spec, std::string_view key,
                                                  const std::string& path) {
  DSI_ASSIGN_OR_RETURN(const Json* pair, GetArray(spec, key, path));
  if (pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_number_integer()) {
    return WrongType(JoinPath(path, key), "[\"token\", id]", *pair);
  }
  return std::make_pair((*pair)[0].get<std::string>(), static_cast<int32_t>((*pair)[1].get<int64_t>()));
}

}  // namespace

Result<std::unique_ptr<PostProcessor>> ParsePostProcessor(const Json& spec, const std::string& path) {
  DSI_ASSIGN_OR_RETURN(const std::string type, ComponentType(spec, path));
  if (type == "ByteLevel") return std::unique_ptr<PostProcessor>();
  if (type == "TemplateProcessing") {
    DSI_ASSIGN_OR_RETURN(const Json* single, RequiredMember(spec, "single", path));
    const Json* specials = OptionalMember(spec, "special_tokens");
    const Json empty = Json::object();
    if (specials == nullptr) specials = &empty;
    Json items = *single;
    if (single->is_string()) {  // "<s> $A" form: whitespace-separated items
      items = Json::array();
      std::istringstream in(single->get<std::string>());
      for (std::string word; in >> word;) items.push_back(word);
    }
    if (!items.is_array()) return WrongType(JoinPath(path, "single"), "a template list", *single);
    std::vector<int32_t> prefix, suffix;
    bool seen_a = false;
    for (size_t i = 0; i < items.size(); ++i) {
      DSI_RETURN_IF_ERROR(AddTemplateItem(items[i], *specials, IndexPath(JoinPath(path, "single"), i),
                                          &seen_a, prefix, suffix));
    }
    if (!seen_a) return InvalidArgument(JoinPath(path, "single") + ": template lacks $A");
    return std::make_unique<PostProcessor>(std::move(prefix), std::move(suffix));
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    DSI_ASSIGN_OR_RETURN(auto cls, TokenPair(spec, "cls", path));
    DSI_ASSIGN_OR_RETURN(auto sep, TokenPair(spec, "sep", path));
    return std::make_unique<PostProcessor>(std::vector<int32_t>{cls.second},
                                           std::vector<int32_t>{sep.second});
  }
  if (type == "Sequence") {
    DSI_ASSIGN_OR_RETURN(const Json* list, GetArray(spec, "processors", path));
    std::vector<int32_t> prefix, suffix;
    for (size_t i = 0; i < list->size(); ++i) {
      DSI_ASSIGN_OR_RETURN(auto step,
                           ParsePostProcessor((*list)[i], IndexPath(JoinPath(path, "processors"), i)));
      if (!step) continue;
      // Each step wraps the result of the previous one.
      prefix.insert(prefix.begin(), step->prefix().begin(), step->prefix().end());
      suffix.insert(suffix.end(), step->suffix().begin(), step->suffix().end());
    }
    if (prefix.empty() && suffix.empty()) return std::unique_ptr<PostProcessor>();
    return std::make_unique<PostProcessor>(std::move(prefix), std::move(suffix));
  }
  return Unsupported(JoinPath(path, "type") + ": post-processor '" + type +
                     "' is not supported (supported: TemplateProcessing, ByteLevel, "
                     "BertProcessing, RobertaProcessing, Sequence)");
}

}  // namespace dsi::tokenizer
