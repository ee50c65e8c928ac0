// `dsinfer tokenize`: placeholder until it lands.
#include <iostream>

#include "commands.h"

namespace dsi::apps {

void RegisterTokenize(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("tokenize", "(not implemented yet)");
  cmd->callback([&exit_code] {
    std::cerr << "tokenize: not implemented yet\n";
    exit_code = 1;
  });
}

}  // namespace dsi::apps
