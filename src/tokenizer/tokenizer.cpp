// Tokenizer encode / decode pipeline (HF TokenizerImpl::encode_single_sequence and decode).
#include "tokenizer/tokenizer.h"

#include "core/logging.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

// Piece offsets are 32-bit: normalization can grow text up to 18x (NFKD) and the byte-level
// mapping 2x more, so 64 MiB of input stays far below 4 GiB.
constexpr size_t kMaxTextBytes = 64u << 20;
// Bound after normalization (pathological Replace chains), leaving room for the 2x mapping.
constexpr size_t kMaxNormalizedBytes = 1u << 30;

// Rewrites every text piece through the normalizer; pieces that become empty are dropped.
void NormalizePieces(const Normalizer& normalizer, PieceList& list) {
  thread_local std::string out;
  out.clear();
  out.reserve(list.text.size() + list.text.size() / 4);
  std::vector<Piece>& pieces = list.scratch;
  pieces.clear();
  for (const Piece& p : list.pieces) {
    const auto begin = static_cast<uint32_t>(out.size());
    if (p.added_id >= 0) {
      out.append(list.View(p));
    } else {
      normalizer.Normalize(list.View(p), out);
    }
    if (out.size() > kMaxNormalizedBytes) {  // a normalizer that keeps growing the text
      DSI_LOG(Error) << "tokenizer: normalized text exceeds " << kMaxNormalizedBytes
                     << " bytes; encoding nothing";
      list.text.clear();
      list.pieces.clear();
      return;
    }
    const auto end = static_cast<uint32_t>(out.size());
    if (end > begin) pieces.push_back({begin, end, p.added_id});
  }
  list.text.swap(out);
  list.pieces.swap(pieces);
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

std::vector<int32_t> Tokenizer::Encode(std::string_view text, const EncodeOptions& options) const {
  const Impl& m = *impl_;
  std::vector<int32_t> ids;
  if (text.size() > kMaxTextBytes) {
    DSI_LOG(Error) << "tokenizer: refusing to encode " << text.size() << " bytes at once";
    return ids;
  }
  thread_local PieceList list;
  list.Reset();
  if (IsValidUtf8(text)) {
    list.text.assign(text);
  } else {
    AppendSanitizedUtf8(text, list.text);
  }
  if (!list.text.empty()) {
    list.pieces.push_back({0, static_cast<uint32_t>(list.text.size()), -1});
    m.added.SplitRaw(list, options.split_special_tokens);
    if (m.normalizer) NormalizePieces(*m.normalizer, list);
    m.added.SplitNormalized(list, options.split_special_tokens);
    if (m.pre_tokenizer) m.pre_tokenizer->PreTokenize(list);
    ids.reserve(list.text.size() / 3 + 4);
    for (const Piece& p : list.pieces) {
      if (p.added_id >= 0) {
        ids.push_back(p.added_id);
      } else {
        m.model->Tokenize(list.View(p), list.byte_level, ids);
      }
    }
  }
  if (options.add_special_tokens && m.post_processor) m.post_processor->Process(ids);
  if (list.text.capacity() > (64u << 20)) {  // do not keep a huge scratch buffer per thread
    list.text = std::string();
    list.pieces = std::vector<Piece>();
    list.scratch = std::vector<Piece>();
  }
  return ids;
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  const Impl& m = *impl_;
  if (m.byte_level_decoding) {
    std::string bytes;
    for (int32_t id : ids) AppendTokenBytes(id, skip_special_tokens, bytes);
    return SanitizeUtf8(bytes);
  }
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (!m.Known(id) || (skip_special_tokens && m.Special(id))) continue;
    tokens.push_back(m.id_token[id]);
  }
  std::string out;
  if (!m.decoder) {  // HF without a decoder: tokens joined by spaces
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) out.push_back(' ');
      out += tokens[i];
    }
    return out;
  }
  m.decoder->DecodeChain(tokens);
  for (const std::string& t : tokens) out += t;
  return out;
}

bool Tokenizer::AppendTokenBytes(int32_t id, bool skip_special_tokens, std::string& out) const {
  const Impl& m = *impl_;
  if (!m.Known(id) || (skip_special_tokens && m.Special(id))) return false;
  out += m.id_bytes[id];
  return true;
}

std::optional<int32_t> Tokenizer::TokenToId(std::string_view token) const {
  if (auto id = impl_->added.TokenToId(token)) return id;
  return impl_->model->TokenToId(token);
}

std::optional<std::string> Tokenizer::IdToToken(int32_t id) const {
  if (!impl_->Known(id)) return std::nullopt;
  return impl_->id_token[id];
}

bool Tokenizer::IsSpecial(int32_t id) const { return impl_->Special(id); }
int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(impl_->id_flags.size()); }
std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos_id; }
std::optional<int32_t> Tokenizer::eos_id() const { return impl_->eos_id; }
std::optional<int32_t> Tokenizer::pad_id() const { return impl_->pad_id; }
bool Tokenizer::byte_level_decoding() const { return impl_->byte_level_decoding; }

const std::vector<int32_t>& Tokenizer::prefix_ids() const {
  return impl_->post_processor ? impl_->post_processor->prefix() : impl_->no_ids;
}
const std::vector<int32_t>& Tokenizer::suffix_ids() const {
  return impl_->post_processor ? impl_->post_processor->suffix() : impl_->no_ids;
}

}  // namespace dsi::tokenizer
