// Paged KV storage. Layer buffer layouts (elements):
//   kGqa: keys [num_blocks, block_size, num_kv_heads * head_dim], then values, same shape.
//   kMla: [num_blocks, block_size, kv_lora_rank + qk_rope_head_dim] (latent, then rope key).
#include "kv_cache/kv_cache.h"

#include <cstring>
#include <utility>

#include "core/logging.h"

namespace dsi::kv_cache {

int64_t KvCacheSpec::RowElements(KvPart part) const {
  switch (part) {
    case KvPart::kKey:
    case KvPart::kValue:
      DSI_CHECK(layout == KvLayout::kGqa) << "key/value rows of an MLA cache";
      return num_kv_heads * head_dim;
    case KvPart::kLatent:
      DSI_CHECK(layout == KvLayout::kMla) << "latent rows of a GQA cache";
      return kv_lora_rank;
    case KvPart::kRope:
      DSI_CHECK(layout == KvLayout::kMla) << "rope rows of a GQA cache";
      return qk_rope_head_dim;
  }
  return 0;
}

int64_t KvCacheSpec::ElementsPerTokenPerLayer() const {
  return layout == KvLayout::kGqa ? 2 * num_kv_heads * head_dim : kv_lora_rank + qk_rope_head_dim;
}

int64_t KvCacheSpec::BytesPerToken() const {
  return num_layers * ElementsPerTokenPerLayer() * static_cast<int64_t>(DTypeSize(dtype));
}

std::string KvCacheSpec::ToString() const {
  const std::string dt(DTypeName(dtype));
  if (layout == KvLayout::kGqa) {
    return "gqa: " + std::to_string(num_layers) + " layers x 2 x " + std::to_string(num_kv_heads) +
           " heads x " + std::to_string(head_dim) + " " + dt;
  }
  return "mla: " + std::to_string(num_layers) + " layers x (" + std::to_string(kv_lora_rank) +
         " latent + " + std::to_string(qk_rope_head_dim) + " rope) " + dt;
}

// ---- SequenceKv ----

SequenceKv::~SequenceKv() { Clear(); }

SequenceKv::SequenceKv(SequenceKv&& other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)),
      blocks_(std::move(other.blocks_)),
      num_tokens_(std::exchange(other.num_tokens_, 0)) {
  other.blocks_.clear();
}

SequenceKv& SequenceKv::operator=(SequenceKv&& other) noexcept {
  if (this != &other) {
    Clear();
    cache_ = std::exchange(other.cache_, nullptr);
    blocks_ = std::move(other.blocks_);
    other.blocks_.clear();
    num_tokens_ = std::exchange(other.num_tokens_, 0);
  }
  return *this;
}

void SequenceKv::Clear() {
  if (cache_ != nullptr) {
    for (int32_t b : blocks_) cache_->allocator().Release(b);
  }
  blocks_.clear();
  num_tokens_ = 0;
}

int64_t SequenceKv::capacity() const {
  return cache_ == nullptr ? 0 : static_cast<int64_t>(blocks_.size()) * cache_->block_size();
}

Status SequenceKv::Reserve(int64_t num_tokens) {
  if (cache_ == nullptr) return InvalidArgument("KV cache: sequence handle has no cache");
  const int64_t bs = cache_->block_size();
  const int64_t need = (num_tokens + bs - 1) / bs;
  while (static_cast<int64_t>(blocks_.size()) < need) {
    DSI_ASSIGN_OR_RETURN(const int32_t block, cache_->allocator().Allocate());
    blocks_.push_back(block);
  }
  return Status::Ok();
}

void SequenceKv::set_num_tokens(int64_t num_tokens) {
  DSI_CHECK(num_tokens >= 0 && num_tokens <= capacity())
      << num_tokens << " tokens in a sequence with room for " << capacity();
  num_tokens_ = num_tokens;
}

int32_t SequenceKv::SlotOf(int64_t position) const {
  const int64_t bs = cache_->block_size();
  DSI_CHECK(position >= 0 && position < capacity()) << "position " << position;
  return static_cast<int32_t>(blocks_[position / bs] * bs + position % bs);
}

// ---- KvCache ----

Result<std::unique_ptr<KvCache>> KvCache::Create(const KvCacheSpec& spec, int32_t block_size,
                                                 int64_t num_blocks) {
  if (spec.dtype != DType::kF32 && spec.dtype != DType::kBF16) {
    return InvalidArgument("KV cache: dtype " + std::string(DTypeName(spec.dtype)) +
                           " (expected F32 or BF16)");
  }
  if (block_size <= 0 || num_blocks <= 0 || num_blocks > INT32_MAX / block_size) {
    return InvalidArgument("KV cache: block_size " + std::to_string(block_size) +
                           " and num_blocks " + std::to_string(num_blocks) +
                           " must be positive (and their product fit in int32)");
  }
  if (spec.num_layers <= 0 || spec.ElementsPerTokenPerLayer() <= 0) {
    return InvalidArgument("KV cache: empty layout " + spec.ToString());
  }
  std::unique_ptr<KvCache> cache(new KvCache(spec, block_size, num_blocks));
  const size_t layer_bytes = static_cast<size_t>(num_blocks) * block_size *
                             spec.ElementsPerTokenPerLayer() * DTypeSize(spec.dtype);
  cache->layers_.reserve(spec.num_layers);
  for (int64_t l = 0; l < spec.num_layers; ++l) {
    Result<Buffer> buffer = Buffer::Allocate(layer_bytes);
    if (!buffer.ok()) {
      return ResourceExhausted("KV cache: cannot allocate " + std::to_string(layer_bytes) +
                               " bytes for layer " + std::to_string(l) + " (" + spec.ToString() +
                               ", " + std::to_string(num_blocks) + " blocks)");
    }
    // Zeroed so that a bug reading an unwritten slot gives zeros, not stale values or NaN.
    std::memset(buffer->data(), 0, layer_bytes);
    cache->layers_.push_back(std::move(buffer).value());
  }
  return cache;
}

int64_t KvCache::BlocksForBytes(const KvCacheSpec& spec, int32_t block_size, int64_t bytes) {
  const int64_t per_block = spec.BytesPerToken() * block_size;
  return per_block > 0 ? bytes / per_block : 0;
}

int64_t KvCache::PartBase(KvPart part) const {
  switch (part) {
    case KvPart::kKey:
    case KvPart::kLatent:
      return 0;
    case KvPart::kValue:
      return num_blocks() * block_size_ * spec_.RowElements(KvPart::kKey);
    case KvPart::kRope:
      return spec_.kv_lora_rank;
  }
  return 0;
}

int64_t KvCache::TokenStride(KvPart part) const {
  return spec_.layout == KvLayout::kGqa ? spec_.RowElements(part)
                                        : spec_.kv_lora_rank + spec_.qk_rope_head_dim;
}

ops::KvCacheView KvCache::View(int64_t layer, KvPart part) const {
  DSI_CHECK(layer >= 0 && layer < spec_.num_layers) << "layer " << layer;
  const size_t elem = DTypeSize(spec_.dtype);
  ops::KvCacheView v;
  v.data = static_cast<const char*>(layers_[layer].data()) + PartBase(part) * elem;
  v.dtype = spec_.dtype;
  v.num_blocks = num_blocks();
  v.token_stride = TokenStride(part);
  v.block_stride = v.token_stride * block_size_;
  if (spec_.layout == KvLayout::kGqa) {
    v.num_heads = spec_.num_kv_heads;
    v.head_dim = spec_.head_dim;
    v.head_stride = spec_.head_dim;
  } else {
    v.num_heads = 1;
    v.head_dim = spec_.RowElements(part);
    v.head_stride = 0;
  }
  return v;
}

void KvCache::WriteRows(int64_t layer, KvPart part, const void* src, int64_t src_row_stride,
                        int64_t num_tokens, const int32_t* slots) {
  DSI_CHECK(layer >= 0 && layer < spec_.num_layers) << "layer " << layer;
  const size_t elem = DTypeSize(spec_.dtype);
  const int64_t row = spec_.RowElements(part);
  const int64_t stride = TokenStride(part);
  char* base = static_cast<char*>(layers_[layer].data()) + PartBase(part) * elem;
  const int64_t num_slots = num_blocks() * block_size_;
  for (int64_t t = 0; t < num_tokens; ++t) {
    DSI_CHECK(slots[t] >= 0 && slots[t] < num_slots) << "slot " << slots[t];
    std::memcpy(base + slots[t] * stride * elem,
                static_cast<const char*>(src) + t * src_row_stride * elem, row * elem);
  }
}

void KvCache::ReadRows(int64_t layer, KvPart part, const int32_t* block_table,
                       int64_t num_tokens, void* dst, int64_t dst_row_stride) const {
  DSI_CHECK(layer >= 0 && layer < spec_.num_layers) << "layer " << layer;
  const size_t elem = DTypeSize(spec_.dtype);
  const int64_t row = spec_.RowElements(part);
  const int64_t stride = TokenStride(part);
  const char* base = static_cast<const char*>(layers_[layer].data()) + PartBase(part) * elem;
  for (int64_t t = 0; t < num_tokens; ++t) {
    const int64_t block = block_table[t / block_size_];
    DSI_CHECK(block >= 0 && block < num_blocks()) << "block " << block;
    const int64_t slot = block * block_size_ + t % block_size_;
    std::memcpy(static_cast<char*>(dst) + t * dst_row_stride * elem, base + slot * stride * elem,
                row * elem);
  }
}

}  // namespace dsi::kv_cache
