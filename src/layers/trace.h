// Trace hook: every named intermediate of a forward pass goes through Trace(t, "q_nope", layer).
// It costs one thread-local load unless a Tracer is installed on the calling thread (golden-
// activation tests, the profiler). Thread-local, so ranks run as threads trace separately.
#pragma once

#include <string_view>

#include "core/tensor.h"

namespace dsi::layers {

class Tracer {
 public:
  virtual ~Tracer() = default;
  // `t` is only valid during the call (it usually lives in per-step scratch).
  virtual void OnTensor(std::string_view name, int layer, const Tensor& t) = 0;
};

// The tracer installed on this thread, or null.
Tracer* CurrentTracer();

// Installs `tracer` on the calling thread for the scope's lifetime (restores the previous one).
class ScopedTracer {
 public:
  explicit ScopedTracer(Tracer* tracer);
  ~ScopedTracer();
  ScopedTracer(const ScopedTracer&) = delete;
  ScopedTracer& operator=(const ScopedTracer&) = delete;

 private:
  Tracer* previous_;
};

// layer = -1 for tensors outside the decoder layers (embedding, logits).
inline void Trace(const Tensor& t, std::string_view name, int layer = -1) {
  if (Tracer* tracer = CurrentTracer()) tracer->OnTensor(name, layer, t);
}

}  // namespace dsi::layers
