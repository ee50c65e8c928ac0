// oneDNN matmul behind a per-shape primitive cache. The weight is described to oneDNN as the
// [K, N] matrix with strides {1, K}: the HF [N, K] row-major tensor read transposed, so weights
// are used in place without packing.
#include "ops/gemm.h"

#include <omp.h>
#include <sched.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>

#include "core/buffer.h"
#include "core/logging.h"
#include "core/thread_pool.h"
#include "kernels/kernel_table.h"
#include "kernels/ref/gemm_ref.h"
#include "ops/op_checks.h"

namespace dsi::ops {
namespace {

using dnnl::memory;
constexpr uint8_t kNoBias = 0xff;
constexpr std::string_view kOp = "gemm";

struct Key {
  int64_t m, n, k;
  uint8_t x, w, y, bias;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  size_t operator()(const Key& key) const {
    size_t h = std::hash<int64_t>()(key.m);
    h = h * 1000003u ^ std::hash<int64_t>()(key.n);
    h = h * 1000003u ^ std::hash<int64_t>()(key.k);
    return h * 1000003u ^ (key.x | key.w << 8 | key.y << 16 | key.bias << 24);
  }
};

struct Entry {
  dnnl::matmul primitive;
  memory src, weights, bias, dst;  // created on user pointers, re-pointed every call
  std::string impl;
  uint64_t last_use = 0;
};

memory::data_type ToDnnl(DType d) {
  return d == DType::kBF16 ? memory::data_type::bf16 : memory::data_type::f32;
}

Status CheckArgs(const Tensor& x, const Tensor& w, const Tensor* bias, const Tensor& y) {
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "x", x, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "x", x, {DType::kF32, DType::kBF16}));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "w", w, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "w", w, {DType::kF32, DType::kBF16}));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "y", y, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "y", y, {DType::kF32, DType::kBF16}));
  if (w.dim(1) != x.dim(1)) {
    return InvalidArgument("gemm: w shape " + w.shape().ToString() + " expected [N, " +
                           std::to_string(x.dim(1)) + "] for x " + x.shape().ToString());
  }
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "y", y, {x.dim(0), w.dim(0)}));
  if (bias) {
    DSI_RETURN_IF_ERROR(CheckRank(kOp, "bias", *bias, 1));
    DSI_RETURN_IF_ERROR(CheckDType(kOp, "bias", *bias, {DType::kF32, DType::kBF16}));
    DSI_RETURN_IF_ERROR(CheckShape(kOp, "bias", *bias, {w.dim(0)}));
  }
  if (x.dim(1) == 0) return InvalidArgument("gemm: K (x.dim(1)) is 0");
  if (x.dtype() == DType::kBF16 && w.dtype() == DType::kF32) {
    return Unsupported(
        "gemm: bf16 activations with f32 weights; convert the weights to bf16 "
        "at load or the activations to f32");
  }
  if (w.dtype() == DType::kF32 && y.dtype() == DType::kBF16) {
    return Unsupported("gemm: f32 weights with a bf16 output; use an f32 output");
  }
  if (bias && bias->dtype() == DType::kBF16 && w.dtype() == DType::kF32) {
    return Unsupported("gemm: bf16 bias with f32 weights; convert the bias to f32");
  }
  return Status::Ok();
}

}  // namespace

struct Gemm::Impl {
  GemmOptions options;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::unordered_map<Key, Entry, KeyHash> cache;
  uint64_t clock = 0;
  Buffer scratch;  // x rounded to bf16 when the weights are bf16 and x is f32
  std::string last_impl;
  bool affinity_checked = false;
  // The small-M bf16 GEMV, from a vector kernel table only (null: oneDNN does everything).
  decltype(kernels::KernelTable::gemv_bf16) gemv = nullptr;

  // Once: pin the OpenMP team to options.cpus, or warn when it will inherit a narrow mask.
  void SetUpAffinity() {
    affinity_checked = true;
    const int threads = options.num_threads > 0 ? options.num_threads : omp_get_max_threads();
    if (!options.cpus.empty()) {
      if (static_cast<int>(options.cpus.size()) < threads) {
        DSI_LOG(Warning) << "gemm: " << options.cpus.size() << " cpus given for " << threads
                         << " OpenMP threads; affinity left alone";
        return;
      }
      int failures = 0;
#pragma omp parallel num_threads(threads) reduction(+ : failures)
      failures += PinCurrentThread(options.cpus[omp_get_thread_num()]) ? 0 : 1;
      if (failures > 0) DSI_LOG(Warning) << "gemm: could not pin " << failures << " OpenMP threads";
      return;
    }
    cpu_set_t set;
    if (threads > 1 && sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) < threads) {
      DSI_LOG(Warning) << "gemm: " << threads << " OpenMP threads but the calling thread may run "
                       << "on only " << CPU_COUNT(&set) << " CPU(s), a mask the OpenMP team "
                       << "inherits; pass GemmOptions::cpus (or set GOMP_CPU_AFFINITY)";
    }
  }

  Result<Entry*> Lookup(const Key& key) {
    if (auto it = cache.find(key); it != cache.end()) {
      it->second.last_use = ++clock;
      return &it->second;
    }
    if (cache.size() >= options.max_cached_primitives && !cache.empty()) {
      auto oldest = cache.begin();
      for (auto it = cache.begin(); it != cache.end(); ++it) {
        if (it->second.last_use < oldest->second.last_use) oldest = it;
      }
      cache.erase(oldest);
    }
    const auto x_dt = static_cast<memory::data_type>(key.x);
    const auto w_dt = static_cast<memory::data_type>(key.w);
    const auto y_dt = static_cast<memory::data_type>(key.y);
    const memory::desc src_md({key.m, key.k}, x_dt, memory::dims{key.k, 1});
    const memory::desc wei_md({key.k, key.n}, w_dt,
                              memory::dims{1, key.k});  // [N, K] read as [K, N]
    const memory::desc dst_md({key.m, key.n}, y_dt, memory::dims{key.n, 1});
    try {
      Entry e;
      dnnl::matmul::primitive_desc pd;
      if (key.bias != kNoBias) {
        const memory::desc bias_md({1, key.n}, static_cast<memory::data_type>(key.bias),
                                   memory::dims{key.n, 1});
        pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_md, wei_md, bias_md, dst_md),
                                          engine);
        e.bias = memory(bias_md, engine, nullptr);
      } else {
        pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_md, wei_md, dst_md), engine);
      }
      e.primitive = dnnl::matmul(pd);
      e.src = memory(src_md, engine, nullptr);
      e.weights = memory(wei_md, engine, nullptr);
      e.dst = memory(dst_md, engine, nullptr);
      e.impl = pd.impl_info_str();
      e.last_use = ++clock;
      return &cache.emplace(key, std::move(e)).first->second;
    } catch (const dnnl::error& err) {
      return Unsupported("gemm: oneDNN has no matmul for M=" + std::to_string(key.m) + " N=" +
                         std::to_string(key.n) + " K=" + std::to_string(key.k) + ": " + err.what());
    }
  }
};

Gemm::Gemm(GemmOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  const kernels::KernelTable& table = kernels::Kernels();
  if (table.isa != "ref" && options.gemv_max_m > 0) impl_->gemv = table.gemv_bf16;
}
Gemm::~Gemm() = default;

void Gemm::Reserve(int64_t max_m, int64_t max_k) {
  const size_t bytes = static_cast<size_t>(max_m * max_k) * sizeof(uint16_t);
  if (bytes > impl_->scratch.size()) impl_->scratch = Buffer(bytes);
}

size_t Gemm::num_cached_primitives() const { return impl_->cache.size(); }
const char* Gemm::last_impl() const { return impl_->last_impl.c_str(); }

Status Gemm::Run(const Tensor& x, const Tensor& w, const Tensor* bias, const Tensor& y) {
  DSI_RETURN_IF_ERROR(CheckArgs(x, w, bias, y));
  const int64_t m = x.dim(0), n = w.dim(0), k = x.dim(1);
  if (m == 0 || n == 0) return Status::Ok();
  Impl& im = *impl_;
  if (im.options.num_threads > 0) omp_set_num_threads(im.options.num_threads);
  if (!im.affinity_checked) im.SetUpAffinity();

  // f32 activations with bf16 weights: round x to bf16 (oneDNN 2.6 has no f32×bf16 matmul).
  const void* src = x.data();
  DType src_dtype = x.dtype();
  if (x.dtype() == DType::kF32 && w.dtype() == DType::kBF16) {
    Reserve(m, k);
    uint16_t* dst = im.scratch.as<uint16_t>();
    const float* xs = x.data_as<float>();
    const auto convert = kernels::Kernels().convert_f32_to_bf16;
    const int64_t total = m * k;
    constexpr int64_t kBlock = 64 * 1024;
#pragma omp parallel for schedule(static) if (total >= 2 * kBlock)
    for (int64_t b = 0; b < (total + kBlock - 1) / kBlock; ++b) {
      const int64_t begin = b * kBlock;
      convert(xs + begin, dst + begin, static_cast<size_t>(std::min(kBlock, total - begin)));
    }
    src = dst;
    src_dtype = DType::kBF16;
  }

  if (w.dtype() == DType::kBF16 && m <= im.options.gemv_max_m && im.gemv != nullptr) {
    RunGemv(static_cast<const uint16_t*>(src), m, w, bias, y);
    im.last_impl = "dsi:gemv_bf16_" + kernels::Kernels().isa;
    return Status::Ok();
  }

  const Key key{m,
                n,
                k,
                static_cast<uint8_t>(ToDnnl(src_dtype)),
                static_cast<uint8_t>(ToDnnl(w.dtype())),
                static_cast<uint8_t>(ToDnnl(y.dtype())),
                bias ? static_cast<uint8_t>(ToDnnl(bias->dtype())) : kNoBias};
  DSI_ASSIGN_OR_RETURN(Entry * e, im.Lookup(key));
  im.last_impl = e->impl;
  try {
    e->src.set_data_handle(const_cast<void*>(src));
    e->weights.set_data_handle(w.data());
    e->dst.set_data_handle(y.data());
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, e->src}, {DNNL_ARG_WEIGHTS, e->weights}, {DNNL_ARG_DST, e->dst}};
    if (bias) {
      e->bias.set_data_handle(bias->data());
      args.emplace(DNNL_ARG_BIAS, e->bias);
    }
    e->primitive.execute(im.stream, args);
    im.stream.wait();
  } catch (const dnnl::error& err) {
    return Internal(std::string("gemm: oneDNN matmul failed: ") + err.what());
  }
  return Status::Ok();
}

void Gemm::RunGemv(const uint16_t* x, int64_t m, const Tensor& w, const Tensor* bias,
                   const Tensor& y) {
  const auto gemv = impl_->gemv;
  const size_t n = static_cast<size_t>(w.dim(0)), k = static_cast<size_t>(w.dim(1));
  const DType bias_dtype = bias ? bias->dtype() : DType::kF32;
  const void* bias_data = bias ? bias->data() : nullptr;
  // Below ~256K weights a second thread costs more to wake than it saves.
  const int threads = n * k < (size_t{1} << 18) ? 1 : omp_get_max_threads();
#pragma omp parallel num_threads(threads)
  {
    const size_t t = static_cast<size_t>(omp_get_thread_num());
    const size_t count = static_cast<size_t>(omp_get_num_threads());
    // Ranges start on multiples of 4 rows so every thread runs whole 4-row blocks.
    const size_t begin = (n * t / count) & ~size_t{3};
    const size_t end = t + 1 == count ? n : (n * (t + 1) / count) & ~size_t{3};
    if (begin < end) {
      gemv(x, static_cast<size_t>(m), w.data_as<uint16_t>(), bias_dtype, bias_data, y.dtype(),
           y.data(), n, k, begin, end);
    }
  }
}

Status GemmReference(const Tensor& x, const Tensor& w, const Tensor* bias, const Tensor& y) {
  DSI_RETURN_IF_ERROR(CheckArgs(x, w, bias, y));
  kernels::ref::Gemm(x.dtype(), x.data(), w.dtype(), w.data(), bias ? bias->dtype() : DType::kF32,
                     bias ? bias->data() : nullptr, y.dtype(), y.data(),
                     static_cast<size_t>(x.dim(0)), static_cast<size_t>(w.dim(0)),
                     static_cast<size_t>(x.dim(1)));
  return Status::Ok();
}

}  // namespace dsi::ops
