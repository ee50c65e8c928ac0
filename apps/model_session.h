// Pieces shared by the commands that run a model (run, chat, perplexity): the compute-dtype
// option, the KV cache sized in tokens, and a callback that reports a failed Status.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "kv_cache/kv_cache.h"
#include "models/causal_lm.h"

namespace dsi::apps {

// "f32" or "bf16"; anything else is an InvalidArgument naming --dtype.
Result<DType> ParseComputeDType(const std::string& dtype);

// A KV cache for `model` with room for `tokens` tokens (16-token blocks).
Result<std::unique_ptr<kv_cache::KvCache>> CreateKvCache(const models::CausalLM& model,
                                                         int64_t tokens);

// Makes `cmd` run `fn`; a failed Status is printed as "<command>: <error>" and exits with 2.
void SetStatusCallback(CLI::App* cmd, int& exit_code, std::function<Status()> fn);

}  // namespace dsi::apps
