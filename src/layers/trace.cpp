// The thread-local tracer slot.
#include "layers/trace.h"

namespace dsi::layers {
namespace {
thread_local Tracer* current_tracer = nullptr;
}  // namespace

Tracer* CurrentTracer() { return current_tracer; }

ScopedTracer::ScopedTracer(Tracer* tracer) : previous_(current_tracer) { current_tracer = tracer; }
ScopedTracer::~ScopedTracer() { current_tracer = previous_; }

}  // namespace dsi::layers
