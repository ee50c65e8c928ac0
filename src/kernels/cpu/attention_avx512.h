// AVX-512 attention over a paged KV cache (same contract as kernels/ref/attention_ref.h).
#pragma once

#include <cstdint>

#include "kernels/attention_args.h"

namespace dsi::kernels::cpu {

void AttentionAvx512(const AttentionArgs& args, int64_t task_begin, int64_t task_end);

}  // namespace dsi::kernels::cpu
