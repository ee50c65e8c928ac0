// Linear: y = x · Wᵀ (+ b) with W [out, in] as HF stores it. The layer owns its weight shard,
// its shard rule and its collective (style.md §4):
//   kReplicated: whole W on every rank.
//   kColumn:     rank holds a slice of W's out rows (in multiples of shard_unit, e.g. head_dim);
//                y holds this rank's output columns; no collective.
//   kRow:        rank holds a slice of W's in columns; x holds the matching input columns;
//                partial outputs are summed with one AllReduceSum, then the bias is added once.
// A column-parallel or replicated Linear may merge several HF tensors (gate_proj + up_proj) that are split
// alike: its local output is [part0 rows of this rank | part1 rows of this rank | ...].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "layers/context.h"
#include "layers/parallel.h"
#include "layers/weights.h"

namespace dsi::layers {

struct LinearPart {
  std::string name;  // HF prefix without ".weight" ("model.layers.0.mlp.gate_proj")
  int64_t out_features = 0;
};

struct LinearOptions {
  bool bias = false;
  // kColumn: out rows are split in multiples of this; kRow: in columns are.
  int64_t shard_unit = 1;
  // kColumn only: the local row range of every part, instead of the balanced split (used when
  // kv heads are fewer than ranks and each rank holds a replica of one kv head).
  std::optional<Range> column_range;
};

// Options for a linear split in multiples of `unit` (a head's rows or columns).
inline LinearOptions ShardUnit(int64_t unit, bool bias = false) {
  LinearOptions o;
  o.bias = bias;
  o.shard_unit = unit;
  return o;
}

class Linear {
 public:
  Linear() = default;
  Linear(std::vector<LinearPart> parts, int64_t in_features, ParallelStyle style, TpShard shard,
         DType dtype, LinearOptions options = {});
  Linear(std::string name, int64_t in_features, int64_t out_features, ParallelStyle style,
         TpShard shard, DType dtype, LinearOptions options = {})
      : Linear({{std::move(name), out_features}}, in_features, style, shard, dtype, options) {}

  ParallelStyle style() const { return style_; }
  int64_t in_local() const { return cols_.size(); }
  int64_t out_local() const { return weight_.tensor.dim(0); }
  Range cols() const { return cols_; }            // input columns this rank holds
  Range rows(size_t part) const { return part_rows_[part]; }  // out rows of a part
  const Tensor& weight() const { return weight_.tensor; }  // [out_local, in_local]
  const Tensor* bias() const { return bias_.empty() ? nullptr : &bias_.tensor; }

  // x: [T, in_local], y: [T, out_local], both contiguous in the weight's dtype (f32 x with bf16
  // weights is allowed; the GEMM rounds x). kRow with reduce = false leaves this rank's partial
  // sum in y (the caller reduces it together with other partials; no bias then).
  Status Forward(const ForwardContext& ctx, const Tensor& x, const Tensor& y,
                 bool reduce = true) const;

  void ForEachWeight(const WeightVisitor& visit);

 private:
  std::vector<LinearPart> parts_;
  std::vector<Range> part_rows_;  // per part: out rows of the full tensor held here
  int64_t in_features_ = 0;
  Range cols_;
  ParallelStyle style_ = ParallelStyle::kReplicated;
  Param weight_;
  Param bias_;
};

// y[t, :] += bias for every row (same dtype; bf16 rounds each sum once).
Status AddBiasRows(const Tensor& y, const Tensor& bias, ThreadPool* pool);

}  // namespace dsi::layers
