// Per-step rotary tables: cos/sin [T, rot_dim / 2] for the step's positions, computed once and
// shared by every layer. Dynamic NTK uses each sequence's own length after the step (HF
// recomputes inv_freq from max(position_ids) + 1 of the call; per sequence here, so batching
// does not change a sequence's numbers).
#pragma once

#include "core/status.h"
#include "layers/context.h"
#include "ops/rotary.h"

namespace dsi::layers {

// Fills step.cos / step.sin (already allocated [T, rot_dim / 2] f32) from step.attention.positions.
Status ComputeRotaryTables(const ops::RotaryEmbedding& rotary, StepBatch& step);

}  // namespace dsi::layers
