// Encode throughput of dsi::tokenizer on the test corpus, single thread: every record encoded
// on its own (add_special_tokens=false), repeated; prints one JSON line per repetition and a
// summary (median, min, max). The first pass runs with a cold word cache and is reported apart.
//   tokenizer_bench MODEL_DIR CORPUS.bin [REPEATS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace {

std::vector<std::string> ReadCorpus(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  std::vector<std::string> records;
  size_t pos = data.find('\n') + 1;
  while (pos < data.size()) {
    const size_t nl = data.find('\n', pos);
    const size_t n = std::stoul(data.substr(pos, nl - pos));
    records.push_back(data.substr(nl + 1, n));
    pos = nl + 1 + n + 1;
  }
  return records;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL_DIR CORPUS.bin [REPEATS]\n", argv[0]);
    return 2;
  }
  const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 10;
  const auto t_load = std::chrono::steady_clock::now();
  auto tok = dsi::tokenizer::Tokenizer::FromDirectory(argv[1]);
  if (!tok.ok()) {
    std::fprintf(stderr, "%s\n", tok.status().ToString().c_str());
    return 1;
  }
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count();
  const auto records = ReadCorpus(argv[2]);
  size_t bytes = 0;
  for (const auto& r : records) bytes += r.size();
  std::printf("{\"impl\": \"dsinfer\", \"load_s\": %.3f, \"records\": %zu, \"bytes\": %zu}\n", load_s,
              records.size(), bytes);

  std::vector<double> mbps, tps;
  for (int rep = 0; rep <= repeats; ++rep) {  // rep 0: cold cache
    size_t tokens = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& r : records) tokens += tok->Encode(r, {.add_special_tokens = false}).size();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"impl\": \"dsinfer\", \"mode\": \"lines\", \"rep\": %d, \"seconds\": %.4f, "
                "\"MB_per_s\": %.2f, \"tokens_per_s\": %.0f, \"tokens\": %zu}\n",
                rep, s, bytes / s / 1e6, tokens / s, tokens);
    if (rep > 0) {
      mbps.push_back(bytes / s / 1e6);
      tps.push_back(tokens / s);
    }
  }
  std::printf("{\"impl\": \"dsinfer\", \"mode\": \"lines\", \"summary\": true, \"MB_per_s_median\": "
              "%.2f, \"MB_per_s_min\": %.2f, \"MB_per_s_max\": %.2f, \"tokens_per_s_median\": %.0f}\n",
              Median(mbps), *std::min_element(mbps.begin(), mbps.end()),
              *std::max_element(mbps.begin(), mbps.end()), Median(tps));
  return 0;
}
