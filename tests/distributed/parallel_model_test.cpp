// Every parallel layout gives the single-process results: run under mpirun with a layout
// (--tp/--pp/--dp/--ep/--micro-batches/--min-micro-batch-tokens), it opens each fixture model on
// all ranks and, on rank 0, also alone in one process (the oracle), then compares
//   * the fp32 logits of every row of the fixture's prompts, computed in one step as a ragged
//     batch (spread over replicas and micro-batches): max|diff| / logit range <= 1e-4
//     (the single-process run itself matches transformers to ~2e-6 of the range);
//   * greedy generation of all prompts, max_new_tokens each, in pp groups that take turns
//     (several steps in flight through the pipeline): identical ids, and equal to
//     transformers' greedy ids stored in the fixture.
// Then a step that overflows the KV cache must fail cleanly on every rank and the job go on.
// Exit 0 only when every check passes on rank 0.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "dist/mpi_communicator.h"
#include "runtime/batch_decode.h"
#include "runtime/model_session.h"

namespace {

using dsi::runtime::ModelRunner;
using dsi::runtime::ResultKind;
using dsi::runtime::RunnerChunk;
using dsi::runtime::StepResults;

struct Fixture {
  std::string name;
  std::filesystem::path model_dir;
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::vector<int32_t>> greedy;  // transformers
  int max_new_tokens = 0;
};

std::vector<Fixture> LoadFixtures(const std::filesystem::path& root,
                                  const std::vector<std::string>& only) {
  std::vector<Fixture> fixtures;
  const std::filesystem::path data = root / "tests/data/models";
  std::vector<std::filesystem::path> dirs;
  for (const auto& entry : std::filesystem::directory_iterator(data)) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  for (const std::filesystem::path& dir : dirs) {
    const std::string name = dir.filename().string();
    if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
    std::ifstream in(dir / "expected.json");
    if (!in) continue;
    const nlohmann::json e = nlohmann::json::parse(in);
    Fixture f;
    f.name = name;
    // The shipped model's expectations live next to the fixtures; its weights in models/.
    f.model_dir = name.rfind("shipped_", 0) == 0 ? root / "models" / name.substr(8) : dir;
    f.prompts = e.at("prompts").get<std::vector<std::vector<int32_t>>>();
    f.greedy = e.at("greedy_tokens").get<std::vector<std::vector<int32_t>>>();
    f.max_new_tokens = e.at("max_new_tokens").get<int>();
    fixtures.push_back(std::move(f));
  }
  return fixtures;
}

// Logits of every row of every prompt, all prompts in one step.
dsi::Status AllLogits(ModelRunner& runner, const Fixture& f, std::vector<float>& logits) {
  std::vector<RunnerChunk> chunks;
  for (const std::vector<int32_t>& p : f.prompts) {
    chunks.push_back({runner.NewSequence(), p, 0, static_cast<int32_t>(p.size())});
  }
  StepResults out;
  const dsi::Status status = runner.Step(chunks, ResultKind::kLogits, out);
  for (const RunnerChunk& c : chunks) runner.Release(c.seq);
  logits = std::move(out.logits);
  return status;
}

struct Outputs {
  std::vector<float> logits;
  std::vector<std::vector<int32_t>> greedy;
};

dsi::Result<Outputs> RunFixture(const Fixture& f, const dsi::runtime::ParallelArgs& layout,
                                dsi::dist::Communicator* world, bool* follower) {
  dsi::runtime::SessionOptions o;
  o.model_dir = f.model_dir.string();
  o.model.compute_dtype = dsi::DType::kF32;
  o.parallel = layout;
  o.kv_tokens = 1024;
  DSI_ASSIGN_OR_RETURN(std::unique_ptr<dsi::runtime::ModelSession> session,
                       dsi::runtime::ModelSession::Open(o, world));
  Outputs out;
  *follower = !session->runner().is_driver();
  if (*follower) {
    DSI_RETURN_IF_ERROR(session->runner().Follow());
    return out;
  }
  DSI_RETURN_IF_ERROR(AllLogits(session->runner(), f, out.logits));
  // One group per pipeline stage, taking turns: the steps of the other groups are in flight.
  DSI_ASSIGN_OR_RETURN(out.greedy, dsi::runtime::GreedyBatch(session->runner(), f.prompts,
                                                             f.max_new_tokens, layout.pp));
  return out;
}

// A step that does not fit a replica's KV cache fails on every rank before any message and the
// job goes on: the sequence keeps its tokens and a step that fits succeeds. Returns failures.
int FullCacheCheck(const Fixture& f, const dsi::runtime::ParallelArgs& layout,
                   dsi::dist::Communicator* world) {
  dsi::runtime::SessionOptions o;
  o.model_dir = f.model_dir.string();
  o.model.compute_dtype = dsi::DType::kF32;
  o.parallel = layout;
  o.kv_tokens = 32;  // two 16-token blocks per replica
  auto session = dsi::runtime::ModelSession::Open(o, world);
  if (!session.ok()) {
    std::fprintf(stderr, "full-cache check: %s\n", session.status().ToString().c_str());
    return 1;
  }
  ModelRunner& runner = (*session)->runner();
  if (!runner.is_driver()) return runner.Follow().ok() ? 0 : 1;
  std::vector<RunnerChunk> chunks;
  const std::vector<int32_t> ten(10, 3), thirty(30, 4), four(4, 5);
  for (int r = 0; r < runner.num_replicas(); ++r) {
    chunks.push_back({runner.NewSequence(), ten, 9, 10});
  }
  StepResults out;
  int failures = !runner.Step(chunks, ResultKind::kArgMax, out).ok();
  for (RunnerChunk& c : chunks) c = {c.seq, thirty, 29, 30};
  const dsi::Status full = runner.Step(chunks, ResultKind::kArgMax, out);
  failures += full.code() != dsi::ErrorCode::kResourceExhausted;
  for (RunnerChunk& c : chunks) {
    failures += runner.NumTokens(c.seq) != 10;
    c = {c.seq, four, 3, 4};
  }
  failures += !runner.Step(chunks, ResultKind::kArgMax, out).ok();
  for (const RunnerChunk& c : chunks) failures += runner.NumTokens(c.seq) != 14;
  std::printf("full KV cache: %s; %s\n", full.ToString().c_str(),
              failures ? "FAIL" : "the job went on");
  return failures;
}

std::string Join(const std::vector<int32_t>& v) {
  std::ostringstream s;
  for (size_t i = 0; i < v.size(); ++i) s << (i ? " " : "") << v[i];
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  dsi::runtime::ParallelArgs layout;
  std::vector<std::string> only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    const std::map<std::string, int*> ints = {
        {"--tp", &layout.tp},
        {"--pp", &layout.pp},
        {"--dp", &layout.dp},
        {"--ep", &layout.ep},
        {"--micro-batches", &layout.micro_batches},
        {"--min-micro-batch-tokens", &layout.min_micro_batch_tokens}};
    if (const auto it = ints.find(flag); it != ints.end()) {
      *it->second = std::stoi(value);
    } else if (flag == "--fixture") {
      only.push_back(value);
    } else {
      std::cerr << "unknown option " << flag << "\n";
      return 2;
    }
  }
  const char* source = std::getenv("DSI_SOURCE_DIR");
  const std::filesystem::path root = source ? source : DSI_SOURCE_DIR_DEFAULT;
  auto mpi = dsi::dist::MpiSession::Init(&argc, &argv);
  if (!mpi.ok()) {
    std::cerr << mpi.status().ToString() << "\n";
    return 2;
  }
  std::unique_ptr<dsi::dist::Communicator> world = (*mpi)->WorldCommunicator();
  const bool driver = world->rank() == 0;
  const std::string name = "tp=" + std::to_string(layout.tp) + " pp=" + std::to_string(layout.pp) +
                           " dp=" + std::to_string(layout.dp) + " ep=" + std::to_string(layout.ep);
  int failures = 0;
  const std::vector<Fixture> fixtures = LoadFixtures(root, only);
  for (const Fixture& f : fixtures) {
    Outputs single;
    bool follower = false;
    if (driver) {
      dsi::Result<Outputs> r = RunFixture(f, dsi::runtime::ParallelArgs{}, nullptr, &follower);
      if (!r.ok()) {
        std::cerr << f.name << ": single process failed: " << r.status().ToString() << "\n";
        return 1;  // the other ranks end with the job
      }
      single = std::move(*r);
    }
    dsi::Result<Outputs> parallel = RunFixture(f, layout, world.get(), &follower);
    if (!parallel.ok()) {
      std::cerr << "[" << name << "] " << f.name << ": " << parallel.status().ToString() << "\n";
      ++failures;
      continue;
    }
    if (!driver) continue;
    const auto [lo, hi] = std::minmax_element(single.logits.begin(), single.logits.end());
    double max_diff = 0;
    for (size_t i = 0; i < single.logits.size(); ++i) {
      max_diff = std::max<double>(max_diff, std::fabs(single.logits[i] - parallel->logits[i]));
    }
    const double rel = max_diff / std::max(1e-30, static_cast<double>(*hi - *lo));
    const bool logits_ok = single.logits.size() == parallel->logits.size() && rel <= 1e-4;
    const bool greedy_ok = parallel->greedy == single.greedy;
    bool hf_ok = true;
    for (size_t s = 0; s < f.greedy.size(); ++s)
      hf_ok = hf_ok && parallel->greedy[s] == f.greedy[s];
    std::printf(
        "[%s] %-26s logits max|diff|/range %.2e (%zu values) %s; greedy %s; vs transformers %s\n",
        name.c_str(), f.name.c_str(), rel, single.logits.size(), logits_ok ? "ok" : "FAIL",
        greedy_ok ? "identical" : "DIFFERENT", hf_ok ? "identical" : "DIFFERENT");
    if (!greedy_ok || !hf_ok) {
      for (size_t s = 0; s < f.greedy.size(); ++s) {
        std::printf("  prompt %zu: single [%s] parallel [%s] hf [%s]\n", s,
                    Join(single.greedy[s]).c_str(), Join(parallel->greedy[s]).c_str(),
                    Join(f.greedy[s]).c_str());
      }
    }
    failures += !logits_ok + !greedy_ok + !hf_ok;
  }
  if (!fixtures.empty()) {
    const int full = FullCacheCheck(fixtures.front(), layout, world.get());
    if (driver) failures += full;
  }
  if (driver) {
    std::printf("[%s] %zu fixtures, %d failures\n", name.c_str(), fixtures.size(), failures);
    if (fixtures.empty()) failures = 1;
  }
  world.reset();
  return failures == 0 ? 0 : 1;
}
