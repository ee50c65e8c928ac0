// Scalar reference attention over a paged KV cache (GQA, MLA full form, MLA absorbed form).
#pragma once

#include <cstdint>

#include "kernels/attention_args.h"

namespace dsi::kernels::ref {

// Computes out[t,h] for tasks [task_begin, task_end), task = t * num_heads + h; see
// AttentionArgs. Three passes per task (max, sum, weighted values) in double precision.
void Attention(const AttentionArgs& args, int64_t task_begin, int64_t task_end);

}  // namespace dsi::kernels::ref
