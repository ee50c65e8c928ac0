// AVX-512 rotary embedding (same contract as kernels/ref/rope_ref.h).
#pragma once

#include <cstdint>

#include "kernels/rope_args.h"

namespace dsi::kernels::cpu {

void RopeAvx512(const RopeArgs& args, int64_t token_begin, int64_t token_end);

}  // namespace dsi::kernels::cpu
