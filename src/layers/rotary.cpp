// Rotary tables for a step.
#include "layers/rotary.h"

namespace dsi::layers {

Status ComputeRotaryTables(const ops::RotaryEmbedding& rotary, StepBatch& step) {
  if (rotary.config().scaling.type != ops::RopeScalingType::kDynamic) {
    return rotary.CosSin(step.attention.positions, step.cos, step.sin);
  }
  for (int64_t s = 0; s < step.num_sequences; ++s) {
    const StepSequence& seq = step.sequences[s];
    DSI_RETURN_IF_ERROR(rotary.CosSin(step.attention.positions.SliceRows(seq.token_begin, seq.token_end),
                                      step.cos.SliceRows(seq.token_begin, seq.token_end),
                                      step.sin.SliceRows(seq.token_begin, seq.token_end),
                                      seq.rope_len));
  }
  return Status::Ok();
}

}  // namespace dsi::layers
