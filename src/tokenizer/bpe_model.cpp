// BPE model: vocabulary, merge table, word merging and the word cache (see bpe_model.h).
#include "tokenizer/bpe_model.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "tokenizer/byte_level.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {

// Open-addressing map (left id, right id) -> (rank, merged id).
class BpeModel::MergeTable {
 public:
  struct Entry {
    uint64_t key;
    int32_t rank;
    int32_t new_id;
  };

  explicit MergeTable(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots_.assign(cap, Entry{kEmpty, 0, 0});
    mask_ = cap - 1;
  }
  // A later merge of the same pair replaces the earlier one (HF collects into a HashMap).
  void Insert(int32_t a, int32_t b, int32_t rank, int32_t new_id) {
    const uint64_t key = Key(a, b);
    for (size_t i = Hash(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == kEmpty || slots_[i].key == key) {
        slots_[i] = {key, rank, new_id};
        return;
      }
    }
  }
  const Entry* Find(int32_t a, int32_t b) const {
    const uint64_t key = Key(a, b);
    for (size_t i = Hash(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &slots_[i];
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  static uint64_t Key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  size_t Hash(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull >> 29) & mask_; }

  std::vector<Entry> slots_;
  size_t mask_;
};

// Word -> ids cache shared by all threads, sharded by hash with one mutex per shard. Words of
// up to 22 bytes with up to 8 ids (nearly all of them) live in one 64-byte slot of an
// open-addressing table, so a hit costs one cache miss; others go to a small map. Like HF's cache
// it stops inserting when full (no eviction) and skips words of 256 bytes or more.
class BpeModel::WordCache {
 public:
  static constexpr size_t kMaxWordBytes = 256;

  bool Lookup(std::string_view word, size_t hash, std::vector<int32_t>& out) {
    Shard& shard = shards_[hash % kShards];
    const uint64_t h = SlotHash(hash);
    std::lock_guard<std::mutex> lock(shard.mu);
    if (word.size() <= kInlineKey && !shard.slots.empty()) {
      for (size_t i = Start(h);; i = (i + 1) & kSlotMask) {
        const Slot& slot = shard.slots[i];
        if (slot.hash == 0) return false;
        if (slot.hash == h && slot.key_len == word.size() &&
            std::memcmp(slot.key, word.data(), word.size()) == 0) {
          out.insert(out.end(), slot.ids, slot.ids + slot.num_ids);
          return true;
        }
      }
    }
    auto it = shard.overflow.find(word);
    if (it == shard.overflow.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }

  void Insert(std::string_view word, size_t hash, const int32_t* ids, size_t n) {
    Shard& shard = shards_[hash % kShards];
    const uint64_t h = SlotHash(hash);
    std::lock_guard<std::mutex> lock(shard.mu);
    if (word.size() <= kInlineKey && n <= kInlineIds) {
      if (shard.used >= kMaxUsed) return;
      if (shard.slots.empty()) shard.slots.resize(kSlots);  // allocated on first use
      size_t i = Start(h);
      while (shard.slots[i].hash != 0) {
        if (shard.slots[i].hash == h && shard.slots[i].key_len == word.size() &&
            std::memcmp(shard.slots[i].key, word.data(), word.size()) == 0) {
          return;  // another thread inserted it meanwhile
        }
        i = (i + 1) & kSlotMask;
      }
      Slot& slot = shard.slots[i];
      slot.hash = h;
      slot.key_len = static_cast<uint8_t>(word.size());
      slot.num_ids = static_cast<uint8_t>(n);
      std::memcpy(slot.key, word.data(), word.size());
      std::memcpy(slot.ids, ids, n * sizeof(int32_t));
      ++shard.used;
      return;
    }
    if (shard.overflow.size() >= kMaxOverflow) return;
    shard.overflow.emplace(std::string(word), std::vector<int32_t>(ids, ids + n));
  }

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kSlots = 8192;  // per shard, power of two
  static constexpr size_t kSlotMask = kSlots - 1;
  static constexpr size_t kMaxUsed = kSlots * 3 / 4;
  static constexpr size_t kMaxOverflow = 4096;
  static constexpr size_t kInlineKey = 22;
  static constexpr size_t kInlineIds = 8;

  struct alignas(64) Slot {
    uint64_t hash = 0;  // 0: empty
    uint8_t key_len = 0;
    uint8_t num_ids = 0;
    char key[kInlineKey];
    int32_t ids[kInlineIds];
  };
  static_assert(sizeof(Slot) == 64);

  struct Shard {
    std::mutex mu;
    std::vector<Slot> slots;  // kSlots once used
    size_t used = 0;
    std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> overflow;
  };

  static uint64_t SlotHash(size_t hash) { return hash == 0 ? 1 : hash; }
  // The shard took hash % 16; the slot index uses the high bits.
  static size_t Start(uint64_t h) { return (h >> 20) & kSlotMask; }

  Shard shards_[kShards];
};

BpeModel::BpeModel() = default;
BpeModel::~BpeModel() = default;

namespace {

// Splits a merges entry ("a b" or ["a", "b"]) into its two tokens.
Status ParseMerge(const Json& m, const std::string& path, std::string* a, std::string* b) {
  if (m.is_string()) {
    const std::string& s = m.get_ref<const std::string&>();
    const size_t space = s.find(' ');
    if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
      return InvalidArgument(path + ": merge \"" + s +
                             "\" must be two tokens separated by exactly one space");
    }
    *a = s.substr(0, space);
    *b = s.substr(space + 1);
    return Status::Ok();
  }
  if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
    *a = m[0].get<std::string>();
    *b = m[1].get<std::string>();
    return Status::Ok();
  }
  return WrongType(path, "\"a b\" or [\"a\", \"b\"]", m);
}

}  // namespace

Result<std::unique_ptr<BpeModel>> BpeModel::Parse(const Json& spec, const std::string& path) {
  std::unique_ptr<BpeModel> model(new BpeModel());
  DSI_ASSIGN_OR_RETURN(const Json* vocab, GetObject(spec, "vocab", path));
  int64_t max_id = -1;
  model->vocab_.reserve(vocab->size());
  for (const auto& [token, id] : vocab->items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= (1ll << 30)) {
      return WrongType(JoinPath(path, "vocab") + "[\"" + token + "\"]", "a non-negative id", id);
    }
    model->vocab_.emplace(token, static_cast<int32_t>(id.get<int64_t>()));
    max_id = std::max<int64_t>(max_id, id.get<int64_t>());
  }
  model->id_to_token_.resize(static_cast<size_t>(max_id + 1));
  model->has_id_.assign(static_cast<size_t>(max_id + 1), false);
  for (const auto& [token, id] : model->vocab_) {
    if (!model->has_id_[id]) {
      model->id_to_token_[id] = token;
      model->has_id_[id] = true;
    }
  }

  if (const Json* dropout = OptionalMember(spec, "dropout")) {
    if (!dropout->is_number()) return WrongType(JoinPath(path, "dropout"), "a number or null", *dropout);
    if (dropout->get<double>() != 0.0) {
      return Unsupported(JoinPath(path, "dropout") +
                         ": BPE dropout makes encoding random and is not supported");
    }
  }
  DSI_ASSIGN_OR_RETURN(model->continuing_subword_prefix_,
                       GetStringOr(spec, "continuing_subword_prefix", path, ""));
  DSI_ASSIGN_OR_RETURN(model->end_of_word_suffix_, GetStringOr(spec, "end_of_word_suffix", path, ""));
  DSI_ASSIGN_OR_RETURN(model->fuse_unk_, GetBoolOr(spec, "fuse_unk", path, false));
  DSI_ASSIGN_OR_RETURN(model->byte_fallback_, GetBoolOr(spec, "byte_fallback", path, false));
  DSI_ASSIGN_OR_RETURN(model->ignore_merges_, GetBoolOr(spec, "ignore_merges", path, false));
  DSI_ASSIGN_OR_RETURN(const std::string unk, GetStringOr(spec, "unk_token", path, ""));
  if (OptionalMember(spec, "unk_token") != nullptr) {
    auto it = model->vocab_.find(unk);
    if (it == model->vocab_.end()) {
      return InvalidArgument(JoinPath(path, "unk_token") + ": '" + unk +
                             "' is not in the vocabulary");
    }
    model->unk_id_ = it->second;
  }

  DSI_ASSIGN_OR_RETURN(const Json* merges, GetArray(spec, "merges", path));
  model->merges_ = std::make_unique<MergeTable>(merges->size());
  const size_t prefix_len = model->continuing_subword_prefix_.size();
  std::string a, b;
  for (size_t i = 0; i < merges->size(); ++i) {
    const std::string mpath = IndexPath(JoinPath(path, "merges"), i);
    DSI_RETURN_IF_ERROR(ParseMerge((*merges)[i], mpath, &a, &b));
    auto ia = model->vocab_.find(a);
    auto ib = model->vocab_.find(b);
    if (ia == model->vocab_.end() || ib == model->vocab_.end()) {
      return InvalidArgument(mpath + ": merge refers to token '" +
                             (ia == model->vocab_.end() ? a : b) + "' that is not in the vocabulary");
    }
    if (b.size() < prefix_len) {
      return InvalidArgument(mpath + ": token '" + b + "' is shorter than continuing_subword_prefix");
    }
    const std::string merged = a + b.substr(prefix_len);
    auto im = model->vocab_.find(merged);
    if (im == model->vocab_.end()) {
      return InvalidArgument(mpath + ": merged token '" + merged + "' is not in the vocabulary");
    }
    model->merges_->Insert(ia->second, ib->second, static_cast<int32_t>(i), im->second);
  }

  const ByteLevelTable& table = ByteLevelTable::Get();
  for (int byte = 0; byte < 256; ++byte) {
    auto it = model->vocab_.find(table.CharOf(static_cast<unsigned char>(byte)));
    model->byte_ids_[byte] = it == model->vocab_.end() ? -1 : it->second;
  }
  model->simple_byte_path_ =
      model->continuing_subword_prefix_.empty() && model->end_of_word_suffix_.empty();
  model->cache_ = std::make_unique<WordCache>();
  return model;
}

std::optional<int32_t> BpeModel::TokenToId(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::IdToToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size() || !has_id_[id]) return nullptr;
  return &id_to_token_[id];
}

// HF bpe/model.rs merge_word: one symbol per character (with prefix / suffix), unknown
// characters through byte fallback, then unk (fused or not), else dropped.
void BpeModel::BuildSymbols(std::string_view word, std::vector<Symbol>& syms) const {
  syms.clear();
  auto add = [&syms](int32_t id) {
    const auto n = static_cast<int32_t>(syms.size());
    if (n > 0) syms.back().next = n;
    syms.push_back({id, n - 1, -1, true});
  };
  int32_t pending_unk = -1;  // an unk not yet added (for fuse_unk)
  std::string key;
  size_t i = 0;
  while (i < word.size()) {
    const size_t len = Utf8CharLength(static_cast<unsigned char>(word[i]));
    const bool is_first = i == 0;
    const bool is_last = i + len >= word.size();
    key.clear();
    if (!is_first) key += continuing_subword_prefix_;
    key.append(word.substr(i, len));
    if (is_last) key += end_of_word_suffix_;
    i += len;
    if (auto it = vocab_.find(key); it != vocab_.end()) {
      if (pending_unk >= 0) {
        add(pending_unk);
        pending_unk = -1;
      }
      add(it->second);
      continue;
    }
    if (byte_fallback_) {
      std::vector<int32_t> bytes;
      for (char ch : key) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", static_cast<unsigned char>(ch));
        auto it = vocab_.find(std::string_view(name));
        if (it == vocab_.end()) break;
        bytes.push_back(it->second);
      }
      if (bytes.size() == key.size()) {
        for (int32_t id : bytes) add(id);
        continue;
      }
    }
    if (unk_id_) {
      if (pending_unk >= 0 && !fuse_unk_) add(pending_unk);
      pending_unk = *unk_id_;
    }
  }
  if (pending_unk >= 0) add(pending_unk);
}

// HF word.rs merge_all: a heap of candidate merges ordered by (rank, position); stale entries
// (the pair changed since it was pushed) are skipped.
void BpeModel::MergeAll(std::vector<Symbol>& syms) const {
  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t new_id;
  };
  auto later = [](const Candidate& x, const Candidate& y) {
    return x.rank != y.rank ? x.rank > y.rank : x.pos > y.pos;
  };
  thread_local std::vector<Candidate> heap;
  heap.clear();
  const auto n = static_cast<int32_t>(syms.size());
  for (int32_t i = 0; i + 1 < n; ++i) {
    if (const auto* m = merges_->Find(syms[i].id, syms[i + 1].id)) heap.push_back({m->rank, i, m->new_id});
  }
  std::make_heap(heap.begin(), heap.end(), later);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const Candidate top = heap.back();
    heap.pop_back();
    Symbol& cur = syms[top.pos];
    if (!cur.alive || cur.next < 0) continue;
    const int32_t next_pos = cur.next;
    const Symbol right = syms[next_pos];
    const auto* m = merges_->Find(cur.id, right.id);
    if (m == nullptr || m->new_id != top.new_id) continue;
    cur.id = top.new_id;
    cur.next = right.next;
    syms[next_pos].alive = false;
    if (right.next >= 0 && right.next < n) syms[right.next].prev = top.pos;
    if (cur.prev >= 0) {
      if (const auto* pm = merges_->Find(syms[cur.prev].id, cur.id)) {
        heap.push_back({pm->rank, cur.prev, pm->new_id});
        std::push_heap(heap.begin(), heap.end(), later);
      }
    }
    if (cur.next >= 0 && cur.next < n) {
      if (const auto* nm = merges_->Find(cur.id, syms[cur.next].id)) {
        heap.push_back({nm->rank, top.pos, nm->new_id});
        std::push_heap(heap.begin(), heap.end(), later);
      }
    }
  }
}

void BpeModel::Tokenize(std::string_view word, bool byte_level, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  // One cache per model, for the byte_level mode of the first call (the pipeline fixes it; a
  // call in the other mode, which no tokenizer.json produces, just bypasses the cache).
  WordCache& cache = *cache_;
  int mode = cache_mode_.load(std::memory_order_relaxed);
  if (mode < 0) {
    cache_mode_.compare_exchange_strong(mode, byte_level ? 1 : 0);
    mode = cache_mode_.load(std::memory_order_relaxed);
  }
  const bool cacheable = word.size() < WordCache::kMaxWordBytes && mode == (byte_level ? 1 : 0);
  const size_t hash = cacheable ? StringHash{}(word) : 0;
  if (cacheable && cache.Lookup(word, hash, out)) return;

  thread_local std::string mapped;
  std::string_view text = word;
  if (byte_level && (ignore_merges_ || !simple_byte_path_)) {
    mapped.clear();
    ByteLevelTable::Get().Encode(word, mapped);
    text = mapped;
  }
  const size_t out_start = out.size();
  if (ignore_merges_) {
    if (auto it = vocab_.find(text); it != vocab_.end()) {
      out.push_back(it->second);
      if (cacheable) cache.Insert(word, hash, &it->second, 1);
      return;
    }
  }

  thread_local std::vector<Symbol> syms;
  bool built = false;
  if (byte_level && simple_byte_path_) {
    syms.clear();
    built = true;
    for (size_t i = 0; i < word.size(); ++i) {
      const int32_t id = byte_ids_[static_cast<unsigned char>(word[i])];
      if (id < 0) {  // a byte outside the vocabulary: take the general (unk / fallback) path
        built = false;
        break;
      }
      syms.push_back({id, static_cast<int32_t>(i) - 1,
                      i + 1 < word.size() ? static_cast<int32_t>(i + 1) : -1, true});
    }
    if (!built) {
      mapped.clear();
      ByteLevelTable::Get().Encode(word, mapped);
      text = mapped;
    }
  }
  if (!built) BuildSymbols(text, syms);
  MergeAll(syms);
  for (int32_t i = syms.empty() ? -1 : 0; i >= 0; i = syms[i].next) out.push_back(syms[i].id);
  if (cacheable) cache.Insert(word, hash, out.data() + out_start, out.size() - out_start);
}

}  // namespace dsi::tokenizer
