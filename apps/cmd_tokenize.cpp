// `dsinfer tokenize MODEL_DIR TEXT`: the ids and token pieces the model's tokenizer.json gives
// for TEXT ("-" reads standard input), with the same ids as Hugging Face `tokenizers`.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "commands.h"
#include "tokenizer/tokenizer.h"

namespace dsi::apps {
namespace {

struct TokenizeOptions {
  std::string model_dir;
  std::string text;
  bool ids_only = false;
  bool no_special = false;
  bool split_special = false;
  bool decode = false;
};

// A piece shown between quotes: control characters and quotes escaped, the rest as is.
std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

// Pads to `width` characters (UTF-8 aware, one column per character).
std::string Padded(const std::string& s, size_t width) {
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return chars >= width ? s : s + std::string(width - chars, ' ');
}

int Run(const TokenizeOptions& opt) {
  auto loaded = tokenizer::Tokenizer::FromDirectory(opt.model_dir);
  if (!loaded.ok()) {
    std::cerr << "tokenize: " << loaded.status().ToString() << "\n";
    return 2;
  }
  const tokenizer::Tokenizer& tok = *loaded;
  std::string text = opt.text;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
  const auto ids = tok.Encode(text, {.add_special_tokens = !opt.no_special,
                                     .split_special_tokens = opt.split_special});
  if (opt.ids_only) {
    for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    std::cout << "\n";
    return 0;
  }
  std::cout << ids.size() << " tokens (" << text.size() << " bytes)\n";
  for (int32_t id : ids) {
    const int32_t one[] = {id};
    std::printf("%8d  %s %s%s\n", id, Padded(Quoted(tok.IdToToken(id).value_or("?")), 24).c_str(),
                Quoted(tok.Decode(one)).c_str(), tok.IsSpecial(id) ? "  (special)" : "");
  }
  if (opt.decode) std::cout << "decoded: " << Quoted(tok.Decode(ids)) << "\n";
  return 0;
}

}  // namespace

void RegisterTokenize(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<TokenizeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize", "Encode text with a model's tokenizer.json: ids and token pieces.");
  cmd->add_option("model_dir", opt->model_dir, "Directory with tokenizer.json (and tokenizer_config.json)")
      ->required();
  cmd->add_option("text", opt->text, "Text to encode; \"-\" reads standard input")->required();
  cmd->add_flag("--ids-only", opt->ids_only, "Print only the ids, space-separated");
  cmd->add_flag("--no-special", opt->no_special,
                "Do not add BOS/EOS (add_special_tokens=False); special tokens in the text still match");
  cmd->add_flag("--split-special", opt->split_special,
                "Encode special tokens found in the text as plain text");
  cmd->add_flag("--decode", opt->decode, "Also print the decoded text");
  cmd->callback([opt, &exit_code] { exit_code = Run(*opt); });
}

}  // namespace dsi::apps
