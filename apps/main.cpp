// dsinfer: entry point; dispatches to the subcommands in this folder.
#include <cstdio>

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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
