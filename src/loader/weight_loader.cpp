// Sliced, converting weight loader.
#include "loader/weight_loader.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/dtype.h"
#include "loader/fp8.h"
#include "models/model_factory.h"
#include "models/tensor_table.h"

namespace dsi::loader {
namespace {

// Gives the pages of a tensor in a read-only file mapping back (madvise DONTNEED): they leave
// the process's resident set; the file's page cache is untouched and a later access reloads.
void DropPages(const Tensor& t) {
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(t.data()) / page * page;
  const uintptr_t end = reinterpret_cast<uintptr_t>(t.data()) + t.SizeBytes();
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

// Converts `count` elements of src (src_dtype) into dst (f32 or bf16) through f32.
void ConvertRun(DType src_dtype, const void* src, DType dst_dtype, void* dst, int64_t count,
                std::vector<float>& tmp) {
  if (src_dtype == dst_dtype) {
    std::memcpy(dst, src, count * DTypeSize(dst_dtype));
    return;
  }
  float* f = reinterpret_cast<float*>(dst);
  if (dst_dtype != DType::kF32) {
    tmp.resize(count);
    f = tmp.data();
  }
  ConvertToF32(src_dtype, src, f, count);
  if (dst_dtype == DType::kBF16) {
    uint16_t* out = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < count; ++i) out[i] = F32ToBF16(f[i]);
  }
}

// The rank's [rows, cols] slice of an FP8 weight: W = f8(Wq) · S[r / block_rows, c / block_cols].
Status DequantizeSlice(const Tensor& w, const Tensor& scale, int64_t block_rows, int64_t block_cols,
                       const layers::WeightRef& ref, const std::string& name) {
  const int64_t full_cols = w.dim(1);
  const bool whole_rows = ref.cols.begin == 0 && ref.cols.end == full_cols;
  if (whole_rows && ref.rows.begin % block_rows == 0) {
    // Block-aligned band of whole rows: the library routine on the matching scale rows.
    const int64_t s0 = ref.rows.begin / block_rows;
    const int64_t s1 = (ref.rows.end + block_rows - 1) / block_rows;
    return DequantizeFp8Blocks(w.SliceRows(ref.rows.begin, ref.rows.end), scale.SliceRows(s0, s1),
                               static_cast<int>(block_rows), static_cast<int>(block_cols),
                               ref.dest, name);
  }
  // Unaligned head or column slice: the same formula element by element, reading only the slice.
  const uint8_t* q = w.data_as<const uint8_t>();
  const float* s = scale.data_as<const float>();
  const int64_t scale_cols = scale.dim(1);
  const int64_t cols = ref.cols.size();
  for (int64_t r = ref.rows.begin; r < ref.rows.end; ++r) {
    for (int64_t c = ref.cols.begin; c < ref.cols.end; ++c) {
      const float v =
          F8E4M3ToF32(q[r * full_cols + c]) * s[(r / block_rows) * scale_cols + c / block_cols];
      const int64_t i = (r - ref.rows.begin) * cols + (c - ref.cols.begin);
      if (ref.dest.dtype() == DType::kF32) {
        ref.dest.data_as<float>()[i] = v;
      } else {
        ref.dest.data_as<uint16_t>()[i] = F32ToBF16(v);
      }
    }
  }
  return Status::Ok();
}

class Loader {
 public:
  Loader(const Checkpoint& checkpoint, const models::ModelConfig& config)
      : checkpoint_(checkpoint), config_(config) {
    for (models::ExpectedTensor& t : models::ExpectedTensors(config)) {
      std::string name = t.name;
      table_.emplace(std::move(name), std::move(t));
    }
  }

  Status Load(const layers::WeightRef& ref) {
    const auto entry = table_.find(ref.name);
    if (entry == table_.end()) {
      return Internal("model parameter " + Quote(ref.name) + " is not in the tensor table of " +
                      std::string(models::ArchitectureName(config_.architecture)));
    }
    const models::ExpectedTensor& expected = entry->second;
    if (expected.shape != ref.full_shape) {
      return Internal("model parameter " + Quote(ref.name) + " has shape " +
                      ref.full_shape.ToString() + " but the tensor table says " +
                      expected.shape.ToString());
    }
    const TensorInfo* info = checkpoint_.Find(ref.name);
    if (info == nullptr) {
      return NotFound("tensor " + Quote(ref.name) + " is missing from checkpoint " +
                      checkpoint_.dir().string() + " (" + std::to_string(checkpoint_.num_tensors()) +
                      " tensors; is config.json from another model?)");
    }
    if (info->shape != expected.shape) {
      return InvalidArgument("tensor " + ref.name + ": shape " + info->shape.ToString() +
                             " expected " + expected.shape.ToString() +
                             " — is config.json from another checkpoint?");
    }
    if (!expected.AcceptsDType(info->dtype)) {
      return InvalidArgument("tensor " + ref.name + ": dtype " +
                             std::string(DTypeName(info->dtype)) + " expected " +
                             std::string(DTypeName(expected.WriteDType(config_.dtype))) +
                             (expected.storage == models::TensorStorage::kFp8
                                  ? " (config.json declares fp8 quantization)"
                                  : ""));
    }
    DSI_ASSIGN_OR_RETURN(const Tensor src, checkpoint_.Get(ref.name));
    ++stats_.num_tensors;
    stats_.bytes_written += ref.dest.SizeBytes();
    // The mapped pages count in this rank's RSS until dropped; drop them once read, so the peak
    // stays near the rank's own weights (a later reader of the same pages reads them again).
    struct DropAfter {
      const Tensor& t;
      ~DropAfter() { DropPages(t); }
    } drop{src};
    if (info->dtype == DType::kF8E4M3) return LoadFp8(ref, src);
    const int64_t full_cols = src.rank() > 1 ? src.dim(1) : 1;
    const int64_t cols = src.rank() > 1 ? ref.cols.size() : 1;
    const int64_t col0 = src.rank() > 1 ? ref.cols.begin : 0;
    const size_t in_elem = DTypeSize(src.dtype()), out_elem = DTypeSize(ref.dest.dtype());
    for (int64_t r = ref.rows.begin; r < ref.rows.end; ++r) {
      ConvertRun(src.dtype(), static_cast<const char*>(src.data()) + (r * full_cols + col0) * in_elem,
                 ref.dest.dtype(),
                 static_cast<char*>(ref.dest.data()) + (r - ref.rows.begin) * cols * out_elem,
                 cols, tmp_);
    }
    stats_.bytes_read += ref.rows.size() * cols * static_cast<int64_t>(in_elem);
    return Status::Ok();
  }

  const LoadStats& stats() const { return stats_; }

 private:
  Status LoadFp8(const layers::WeightRef& ref, const Tensor& src) {
    const std::string scale_name = ref.name + "_scale_inv";
    const auto entry = table_.find(scale_name);
    const TensorInfo* info = checkpoint_.Find(scale_name);
    if (entry == table_.end() || info == nullptr) {
      return NotFound("tensor " + Quote(ref.name) + " is F8_E4M3 but its scale " +
                      Quote(scale_name) + " is missing from checkpoint " +
                      checkpoint_.dir().string());
    }
    if (info->shape != entry->second.shape || info->dtype != DType::kF32) {
      return InvalidArgument("tensor " + scale_name + ": " + std::string(DTypeName(info->dtype)) +
                             " " + info->shape.ToString() + " expected F32 " +
                             entry->second.shape.ToString());
    }
    DSI_ASSIGN_OR_RETURN(const Tensor scale, checkpoint_.Get(scale_name));
    struct DropAfter {
      const Tensor& t;
      ~DropAfter() { DropPages(t); }
    } drop{scale};
    ++stats_.num_fp8_tensors;
    stats_.bytes_read += ref.rows.size() * ref.cols.size();
    return DequantizeSlice(src, scale, config_.quantization.weight_block_size[0],
                           config_.quantization.weight_block_size[1], ref, ref.name);
  }

  const Checkpoint& checkpoint_;
  const models::ModelConfig& config_;
  std::unordered_map<std::string, models::ExpectedTensor> table_;
  std::vector<float> tmp_;
  LoadStats stats_;
};

}  // namespace

Result<LoadStats> LoadWeights(const Checkpoint& checkpoint, models::CausalLM& model) {
  Loader loader(checkpoint, model.config());
  Status status;
  model.ForEachWeight([&](const layers::WeightRef& ref) {
    if (status.ok()) status = loader.Load(ref);
  });
  DSI_RETURN_IF_ERROR(status);
  model.FinishLoading();
  return loader.stats();
}

Result<std::unique_ptr<models::CausalLM>> LoadModel(const std::filesystem::path& dir,
                                                    const models::ModelOptions& options,
                                                    LoadStats* stats_out) {
  DSI_ASSIGN_OR_RETURN(const models::ModelConfig config, models::LoadModelConfig(dir));
  DSI_ASSIGN_OR_RETURN(std::unique_ptr<models::CausalLM> model,
                       models::CreateModel(config, options));
  DSI_ASSIGN_OR_RETURN(const Checkpoint checkpoint, Checkpoint::Open(dir));
  DSI_ASSIGN_OR_RETURN(const LoadStats stats, LoadWeights(checkpoint, *model));
  if (stats_out != nullptr) *stats_out = stats;
  return model;
}

}  // namespace dsi::loader
