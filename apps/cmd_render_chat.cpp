// `dsinfer render-chat`: placeholder until it lands.
#include <iostream>

#include "commands.h"

namespace dsi::apps {

void RegisterRenderChat(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("render-chat", "(not implemented yet)");
  cmd->callback([&exit_code] {
    std::cerr << "render-chat: not implemented yet\n";
    exit_code = 1;
  });
}

}  // namespace dsi::apps
