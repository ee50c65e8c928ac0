// dsinfer: entry point; dispatches to the subcommands in this folder.
#include <algorithm>
#include <cstdio>
#include <vector>
#include <string>

#include "commands.h"
#include "core/logging.h"

int main(int argc, char** argv) {
  CLI::App app{
      "dsinfer: parallel inference engine for DeepSeek-family models.\n"
      "Run `dsinfer <command> --help` for the options of one command."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dsinfer 0.1.0");
  int exit_code = 0;
  dsi::apps::RegisterInfo(app, exit_code);
  dsi::apps::RegisterInspect(app, exit_code);
  dsi::apps::RegisterRandomCheckpoint(app, exit_code);
  dsi::apps::RegisterTokenize(app, exit_code);
  dsi::apps::RegisterRenderChat(app, exit_code);
  dsi::apps::RegisterRun(app, exit_code);
  dsi::apps::RegisterPerplexity(app, exit_code);
  dsi::apps::RegisterChat(app, exit_code);
  dsi::apps::RegisterBench(app, exit_code);
  // CLI11 reports an unknown command word as "A subcommand is required"; name it instead.
  const std::vector<CLI::App*> commands = app.get_subcommands({});
  const auto known = [&](const std::string& word) {
    return std::any_of(commands.begin(), commands.end(),
                       [&](const CLI::App* c) { return c->check_name(word); });
  };
  if (argc > 1 && argv[1][0] != '-' && !known(argv[1])) {
    std::string names;
    for (const CLI::App* sub : commands) names += " " + sub->get_name();
    std::fprintf(stderr, "dsinfer: unknown command '%s'; the commands are:%s\n", argv[1],
                 names.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
