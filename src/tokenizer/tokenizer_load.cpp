// Builds a Tokenizer from tokenizer.json and tokenizer_config.json.
#include <fstream>
#include <sstream>

#include "core/logging.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_impl.h"

namespace dsi::tokenizer {
namespace {

Result<Json> ParseJsonText(std::string_view text, std::string_view source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return Corrupt(std::string(source) + ": not valid JSON: " + e.what());
  }
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IoError("error reading " + path.string());
  return ss.str();
}

// tokenizer_config.json token fields are a string or an AddedToken object {"content": ...}.
Result<std::optional<std::string>> ConfigToken(const Json& config, std::string_view key) {
  const Json* v = OptionalMember(config, key);
  if (v == nullptr) return std::optional<std::string>();
  if (v->is_string()) return std::optional<std::string>(v->get<std::string>());
  if (v->is_object()) {
    DSI_ASSIGN_OR_RETURN(std::string content, GetString(*v, "content", std::string(key)));
    return std::optional<std::string>(std::move(content));
  }
  return WrongType(std::string(key), "a string or {\"content\": ...}", *v);
}

// transformers' LlamaTokenizerFast (and CodeLlama / Gemma) replace the post-processor with a
// template built from add_bos_token / add_eos_token (update_post_processor()).
bool RebuildsTemplateFromConfig(const std::string& tokenizer_class) {
  for (std::string_view prefix : {"LlamaTokenizer", "CodeLlamaTokenizer", "GemmaTokenizer"}) {
    if (tokenizer_class.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

Status ApplyConfig(const Json& config, Tokenizer::Impl& m, const Tokenizer& tok) {
  if (!config.is_object()) return WrongType("tokenizer_config.json", "an object", config);
  const std::string path = "tokenizer_config.json";
  auto resolve = [&](std::string_view key, std::optional<int32_t>* out) -> Status {
    DSI_ASSIGN_OR_RETURN(std::optional<std::string> content, ConfigToken(config, key));
    if (!content) return Status::Ok();
    *out = tok.TokenToId(*content);
    if (!*out) {
      return InvalidArgument(path + ": " + std::string(key) + " '" + *content +
                             "' is not a token of tokenizer.json");
    }
    return Status::Ok();
  };
  DSI_RETURN_IF_ERROR(resolve("bos_token", &m.bos_id));
  DSI_RETURN_IF_ERROR(resolve("eos_token", &m.eos_id));
  DSI_RETURN_IF_ERROR(resolve("pad_token", &m.pad_id));
  DSI_ASSIGN_OR_RETURN(const std::string cls, GetStringOr(config, "tokenizer_class", path, ""));
  if (!RebuildsTemplateFromConfig(cls)) return Status::Ok();
  DSI_ASSIGN_OR_RETURN(const bool add_bos, GetBoolOr(config, "add_bos_token", path, true));
  DSI_ASSIGN_OR_RETURN(const bool add_eos, GetBoolOr(config, "add_eos_token", path, false));
  std::vector<int32_t> prefix, suffix;
  if (add_bos) {
    if (!m.bos_id) return InvalidArgument(path + ": add_bos_token is true but bos_token is not set");
    prefix.push_back(*m.bos_id);
  }
  if (add_eos) {
    if (!m.eos_id) return InvalidArgument(path + ": add_eos_token is true but eos_token is not set");
    suffix.push_back(*m.eos_id);
  }
  m.post_processor = std::make_unique<PostProcessor>(std::move(prefix), std::move(suffix));
  return Status::Ok();
}

// Fills the per-id tables used by Decode.
void BuildIdTables(Tokenizer::Impl& m) {
  int32_t max_id = m.model->max_id();
  for (const AddedToken& t : m.added.tokens()) max_id = std::max(max_id, t.id);
  const size_t n = static_cast<size_t>(max_id + 1);
  m.id_token.assign(n, std::string());
  m.id_flags.assign(n, 0);
  for (int32_t id = 0; id <= max_id; ++id) {
    if (const AddedToken* t = m.added.FindById(id)) {
      m.id_token[id] = t->decode_form;
    } else if (const std::string* s = m.model->IdToToken(id)) {
      m.id_token[id] = *s;
    } else {
      continue;
    }
    m.id_flags[id] = Tokenizer::Impl::kKnown;
    if (m.added.IsSpecialContent(m.id_token[id])) m.id_flags[id] |= Tokenizer::Impl::kSpecial;
  }
  if (m.byte_level_decoding) {
    const ByteLevelTable& table = ByteLevelTable::Get();
    m.id_bytes.assign(n, std::string());
    for (size_t id = 0; id < n; ++id) {
      if (!table.Decode(m.id_token[id], m.id_bytes[id])) m.id_bytes[id] = m.id_token[id];
    }
  }
}

Status Build(const Json& j, Tokenizer::Impl& m) {
  if (!j.is_object()) return WrongType("top level", "an object", j);
  DSI_ASSIGN_OR_RETURN(const std::string version, GetStringOr(j, "version", "", "1.0"));
  if (version != "1.0") return Unsupported("version: unknown tokenizer.json version '" + version + "'");
  for (std::string_view key : {"truncation", "padding"}) {
    if (OptionalMember(j, key) != nullptr) {
      DSI_LOG(Warning) << "tokenizer.json: '" << key << "' is set and ignored (the engine limits "
                       << "lengths itself)";
    }
  }
  DSI_ASSIGN_OR_RETURN(const Json* model, GetObject(j, "model", ""));
  std::string type = "BPE";
  if (OptionalMember(*model, "type") != nullptr || OptionalMember(*model, "merges") == nullptr) {
    DSI_ASSIGN_OR_RETURN(type, ComponentType(*model, "model"));
  }
  if (type != "BPE") {
    return Unsupported("model.type: model '" + type + "' is not supported (supported: BPE)");
  }
  DSI_ASSIGN_OR_RETURN(m.model, BpeModel::Parse(*model, "model"));
  if (const Json* n = OptionalMember(j, "normalizer")) {
    DSI_ASSIGN_OR_RETURN(m.normalizer, ParseNormalizer(*n, "normalizer"));
  }
  if (const Json* p = OptionalMember(j, "pre_tokenizer")) {
    DSI_ASSIGN_OR_RETURN(m.pre_tokenizer, ParsePreTokenizer(*p, "pre_tokenizer"));
  }
  if (const Json* p = OptionalMember(j, "post_processor")) {
    DSI_ASSIGN_OR_RETURN(m.post_processor, ParsePostProcessor(*p, "post_processor"));
  }
  if (const Json* d = OptionalMember(j, "decoder")) {
    DSI_ASSIGN_OR_RETURN(m.decoder, ParseDecoder(*d, "decoder"));
    m.byte_level_decoding = m.decoder->IsByteLevel();
  }
  if (const Json* a = OptionalMember(j, "added_tokens")) {
    DSI_ASSIGN_OR_RETURN(m.added, AddedVocabulary::Parse(*a, "added_tokens", *m.model,
                                                          m.normalizer.get()));
  }
  BuildIdTables(m);
  return Status::Ok();
}

}  // namespace

Result<Tokenizer> Tokenizer::FromJson(std::string_view tokenizer_json,
                                      std::string_view tokenizer_config_json,
                                      std::string_view source) {
  DSI_ASSIGN_OR_RETURN(const Json j, ParseJsonText(tokenizer_json, source));
  auto impl = std::make_unique<Impl>();
  const Status built = Build(j, *impl);
  if (!built.ok()) return built.WithContext(source);
  Impl* m = impl.get();
  Tokenizer tok(std::move(impl));
  if (!tokenizer_config_json.empty()) {
    DSI_ASSIGN_OR_RETURN(const Json config,
                         ParseJsonText(tokenizer_config_json, "tokenizer_config.json"));
    DSI_RETURN_IF_ERROR(ApplyConfig(config, *m, tok));
  }
  return tok;
}

Result<Tokenizer> Tokenizer::FromDirectory(const std::filesystem::path& dir) {
  const std::filesystem::path json_path = dir / "tokenizer.json";
  if (!std::filesystem::exists(json_path)) {
    return NotFound(json_path.string() + " not found (only tokenizer.json tokenizers are supported)");
  }
  DSI_ASSIGN_OR_RETURN(const std::string json, ReadWholeFile(json_path));
  std::string config;
  const std::filesystem::path config_path = dir / "tokenizer_config.json";
  if (std::filesystem::exists(config_path)) {
    DSI_ASSIGN_OR_RETURN(config, ReadWholeFile(config_path));
  }
  auto tok = FromJson(json, config, json_path.string());
  if (!tok.ok()) return tok.status();
  return tok;
}

}  // namespace dsi::tokenizer
