// `dsinfer inspect MODEL_DIR`: placeholder until the loader and model tables land.
#include <iostream>
#include <memory>

#include "commands.h"

namespace dsi::apps {

void RegisterInspect(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Show what a checkpoint holds: architecture, parameters, tensors, memory plan.");
  auto model_dir = std::make_shared<std::string>();
  cmd->add_option("model_dir", *model_dir, "Hugging Face checkpoint directory")->required();
  cmd->callback([&exit_code] {
    std::cerr << "inspect: not implemented yet\n";
    exit_code = 1;
  });
}

}  // namespace dsi::apps
