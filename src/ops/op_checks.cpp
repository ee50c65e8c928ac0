// Argument checks and the small parallel-for wrapper the ops share.
#include "ops/op_checks.h"

#include <string>

namespace dsi::ops {
namespace {

// Below this many element-operations a hand-off to another thread costs more than it saves
// (a condition-variable wake-up is several microseconds).
constexpr int64_t kMinParallelCost = 32 * 1024;

std::string Prefix(std::string_view op, std::string_view name) {
  return std::string(op) + ": " + std::string(name) + " ";
}

}  // namespace

Status CheckDType(std::string_view op, std::string_view name, const Tensor& t,
                  std::initializer_list<DType> allowed) {
  std::string names;
  for (DType d : allowed) {
    if (t.dtype() == d) return Status::Ok();
    names += (names.empty() ? "" : " or ") + std::string(DTypeName(d));
  }
  return InvalidArgument(Prefix(op, name) + "dtype " + std::string(DTypeName(t.dtype())) +
                         " expected " + names);
}

Status CheckRank(std::string_view op, std::string_view name, const Tensor& t, int rank) {
  if (t.rank() != rank) {
    return InvalidArgument(Prefix(op, name) + "shape " + t.shape().ToString() + " expected rank " +
                           std::to_string(rank));
  }
  for (int i = 0; i < rank; ++i) {
    if (t.dim(i) < 0)
      return InvalidArgument(Prefix(op, name) + "shape " + t.shape().ToString() +
                             " has a negative dimension");
  }
  if (t.NumElements() > 0 && t.data() == nullptr) {
    return InvalidArgument(Prefix(op, name) + "has no data");
  }
  if (!t.IsContiguous()) {
    return InvalidArgument(Prefix(op, name) + "must be contiguous");
  }
  return Status::Ok();
}

Status CheckShape(std::string_view op, std::string_view name, const Tensor& t,
                  const Shape& expected) {
  if (t.shape() != expected) {
    return InvalidArgument(Prefix(op, name) + "shape " + t.shape().ToString() + " expected " +
                           expected.ToString());
  }
  return Status::Ok();
}

Status CheckSameDType(std::string_view op, std::string_view a_name, const Tensor& a,
                      std::string_view b_name, const Tensor& b) {
  if (a.dtype() != b.dtype()) {
    return InvalidArgument(std::string(op) + ": " + std::string(b_name) + " dtype " +
                           std::string(DTypeName(b.dtype())) + " differs from " +
                           std::string(a_name) + " dtype " + std::string(DTypeName(a.dtype())));
  }
  return Status::Ok();
}

void ParallelRange(ThreadPool* pool, int64_t n, int64_t cost_per_item,
                   const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (pool == nullptr || pool->size() == 1 || n == 1 || n * cost_per_item < kMinParallelCost) {
    fn(0, n);
    return;
  }
  pool->ParallelFor(n, [&](int64_t begin, int64_t end, int) { fn(begin, end); });
}

}  // namespace dsi::ops
