// Linear layer: shard rule at construction, GEMM + collective in Forward.
#include "layers/linear.h"

#include "core/logging.h"
#include "kernels/kernel_table.h"
#include "ops/op_checks.h"

namespace dsi::layers {

Linear::Linear(std::vector<LinearPart> parts, int64_t in_features, ParallelStyle style,
               TpShard shard, DType dtype, LinearOptions options)
    : parts_(std::move(parts)), in_features_(in_features), style_(style) {
  DSI_CHECK(!parts_.empty());
  DSI_CHECK(style != ParallelStyle::kRow || parts_.size() == 1)
      << "a row-parallel linear cannot merge tensors";
  int64_t out_local = 0;
  for (const LinearPart& p : parts_) {
    Range rows{0, p.out_features};
    if (style == ParallelStyle::kColumn) {
      rows = options.column_range ? *options.column_range
                                  : PartitionUnits(p.out_features, options.shard_unit, shard.size,
                                                   shard.rank);
    }
    DSI_CHECK(rows.begin >= 0 && rows.end <= p.out_features) << p.name << " rows " << rows.ToString();
    part_rows_.push_back(rows);
    out_local += rows.size();
  }
  cols_ = style == ParallelStyle::kRow
              ? PartitionUnits(in_features, options.shard_unit, shard.size, shard.rank)
              : Range{0, in_features};
  weight_ = Param(dtype, {out_local, cols_.size()});
  if (options.bias) bias_ = Param(dtype, {out_local});
}

Status Linear::Forward(const ForwardContext& ctx, const Tensor& x, const Tensor& y,
                       bool reduce) const {
  const bool row = style_ == ParallelStyle::kRow;
  const bool bias_in_gemm = bias() != nullptr && !row;
  DSI_RETURN_IF_ERROR(ctx.gemm->Run(x, weight(), bias_in_gemm ? bias() : nullptr, y));
  if (!row) return Status::Ok();
  if (!reduce) {
    DSI_CHECK(bias() == nullptr) << parts_[0].name << ": unreduced row-parallel output with bias";
    return Status::Ok();
  }
  ctx.tp->AllReduceSum(y);
  if (bias() != nullptr) DSI_RETURN_IF_ERROR(AddBiasRows(y, *bias(), ctx.pool));
  return Status::Ok();
}

void Linear::ForEachWeight(const WeightVisitor& visit) {
  int64_t row0 = 0;
  for (size_t i = 0; i < parts_.size(); ++i) {
    const Range rows = part_rows_[i];
    WeightRef w;
    w.name = parts_[i].name + ".weight";
    w.full_shape = Shape{parts_[i].out_features, in_features_};
    w.rows = rows;
    w.cols = cols_;
    w.dest = weight_.tensor.SliceRows(row0, row0 + rows.size());
    visit(w);
    if (!bias_.empty()) {
      WeightRef b;
      b.name = parts_[i].name + ".bias";
      b.full_shape = Shape{parts_[i].out_features};
      b.rows = rows;
      b.dest = bias_.tensor.SliceRows(row0, row0 + rows.size());
      visit(b);
    }
    row0 += rows.size();
  }
}

Status AddBiasRows(const Tensor& y, const Tensor& bias, ThreadPool* pool) {
  DSI_RETURN_IF_ERROR(ops::CheckRank("add_bias", "y", y, 2));
  DSI_RETURN_IF_ERROR(ops::CheckShape("add_bias", "bias", bias, {y.dim(1)}));
  DSI_RETURN_IF_ERROR(ops::CheckSameDType("add_bias", "y", y, "bias", bias));
  const kernels::KernelTable& k = kernels::Kernels();
  const int64_t n = y.dim(1);
  ops::ParallelRange(pool, y.dim(0), n, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      if (y.dtype() == DType::kF32) {
        float* row = y.data_as<float>() + t * n;
        k.add_f32(row, bias.data_as<float>(), row, n);
      } else {
        uint16_t* row = y.data_as<uint16_t>() + t * n;
        k.add_bf16(row, bias.data_as<uint16_t>(), row, n);
      }
    }
  });
  return Status::Ok();
}

}  // namespace dsi::layers
