// `dsinfer random-checkpoint CONFIG_JSON OUT_DIR`: a random-weight checkpoint at the exact
// shapes of a config, to test and benchmark real shapes without downloading weights.
#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.h"
#include "loader/safetensors.h"
#include "loader/test_checkpoint.h"
#include "models/config.h"

namespace dsi::apps {
namespace {

namespace fs = std::filesystem;

struct RandomCheckpointArgs {
  std::string config;
  std::string out_dir;
  uint64_t seed = 0;
  std::string dtype = "bf16";
  int shards = 1;
};

int Run(const RandomCheckpointArgs& a) {
  std::error_code ec;
  const fs::path config_path =
      fs::is_directory(a.config, ec) ? fs::path(a.config) / "config.json" : fs::path(a.config);
  Result<nlohmann::json> config = models::ReadJsonFile(config_path);
  if (!config.ok()) {
    std::cerr << "random-checkpoint: " << config.status().ToString() << "\n";
    return 2;
  }
  const DType dtype = a.dtype == "f32"   ? DType::kF32
                      : a.dtype == "f16" ? DType::kF16
                                         : DType::kBF16;
  Status st = loader::WriteRandomCheckpoint(*config, a.out_dir, a.seed, dtype, a.shards);
  if (!st.ok()) {
    std::cerr << "random-checkpoint: " << st.WithContext(config_path.string()).ToString() << "\n";
    return 2;
  }
  Result<loader::Checkpoint> ckpt = loader::Checkpoint::Open(a.out_dir);
  if (!ckpt.ok()) {
    std::cerr << "random-checkpoint: written but cannot be reopened: " << ckpt.status().ToString()
              << "\n";
    return 1;
  }
  uint64_t bytes = 0;
  for (const std::string& name : ckpt->TensorNames()) {
    const loader::TensorInfo* info = ckpt->Find(name);
    bytes += info->end - info->begin;
  }
  std::cout << "wrote " << ckpt->num_tensors() << " tensors (" << bytes << " bytes) in "
            << ckpt->files().size() << " file(s) to " << a.out_dir << "\n";
  return 0;
}

}  // namespace

void RegisterRandomCheckpoint(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "random-checkpoint",
      "Write a checkpoint with random weights at the shapes of a config.json (every tensor of "
      "the model's table; FP8 + scales when the config says fp8), for tests and benchmarks "
      "of real shapes without downloads. The output directory must hold no *.safetensors.");
  auto args = std::make_shared<RandomCheckpointArgs>();
  cmd->add_option("config", args->config, "config.json (or a model directory holding one)")
      ->required();
  cmd->add_option("out_dir", args->out_dir, "Directory to write config.json and the weights to")
      ->required();
  cmd->add_option("--seed", args->seed, "Random seed (same seed, same bytes)")
      ->capture_default_str();
  cmd->add_option("--dtype", args->dtype, "dtype of non-FP8 tensors: bf16, f16 or f32")
      ->check(CLI::IsMember({"bf16", "f16", "f32"}))
      ->capture_default_str();
  cmd->add_option("--shards", args->shards,
                  "Number of safetensors files (>1 adds model.safetensors.index.json); peak "
                  "memory is one shard")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([args, &exit_code] { exit_code = Run(*args); });
}

}  // namespace dsi::apps
