// Each subcommand registers its options on the CLI11 app and sets its own callback;
// the callback stores the process exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace dsi::apps {

void RegisterInfo(CLI::App& app, int& exit_code);         // cmd_info.cpp
void RegisterInspect(CLI::App& app, int& exit_code);      // cmd_inspect.cpp
void RegisterRandomCheckpoint(CLI::App& app, int& exit_code);  // cmd_random_checkpoint.cpp
void RegisterTokenize(CLI::App& app, int& exit_code);     // cmd_tokenize.cpp
void RegisterRenderChat(CLI::App& app, int& exit_code);   // cmd_render_chat.cpp
void RegisterRun(CLI::App& app, int& exit_code);          // cmd_run.cpp
void RegisterPerplexity(CLI::App& app, int& exit_code);   // cmd_perplexity.cpp
void RegisterBench(CLI::App& app, int& exit_code);        // cmd_bench.cpp
void RegisterChat(CLI::App& app, int& exit_code);         // cmd_chat.cpp

}  // namespace dsi::apps
