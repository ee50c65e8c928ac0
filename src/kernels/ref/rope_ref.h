// Scalar reference rotary embedding (both pair layouts, f32 and bf16 with HF rounding).
#pragma once

#include <cstdint>

#include "kernels/rope_args.h"

namespace dsi::kernels::ref {

// Rotates tokens [token_begin, token_end) of args.x in place; see RopeArgs.
void Rope(const RopeArgs& args, int64_t token_begin, int64_t token_end);

}  // namespace dsi::kernels::ref
