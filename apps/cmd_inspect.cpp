// `dsinfer inspect MODEL_DIR`: what a checkpoint holds checked against the model's tensor
// table: architecture, key config values, parameters, dtypes, tensors per layer, problems by
// name, unsupported features, and the memory plan. One JSON report feeds both outputs.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.h"
#include "loader/safetensors.h"
#include "models/config.h"
#include "models/model_stats.h"
#include "models/pipeline_stages.h"
#include "models/rank_plan.h"
#include "model_session.h"
#include "models/tensor_check.h"
#include "models/tensor_table.h"

namespace dsi::apps {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr int kExitOk = 0;
constexpr int kExitProblems = 2;     // invalid config, unreadable checkpoint, tensor problems
constexpr int kExitUnsupported = 3;  // complete, but uses features this engine lacks
constexpr size_t kMaxListed = 20;    // per problem list in the human output without --tensors

std::string Grouped(int64_t n) {  // 1234567 -> "1,234,567"
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Scaled(double v, const char* const units[], int num_units, double step) {
  int u = 0;
  while (u + 1 < num_units && v >= step) {
    v /= step;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f%s" : "%.2f%s", v, units[u]);
  return buf;
}

std::string Count(int64_t n) {
  static const char* const kUnits[] = {"", "K", "M", "B", "T"};
  return Grouped(n) + " (" + Scaled(double(n), kUnits, 5, 1000.0) + ")";
}

std::string Bytes(int64_t n) {
  static const char* const kUnits[] = {" B", " KiB", " MiB", " GiB", " TiB"};
  return Scaled(double(n), kUnits, 5, 1024.0);
}

Json ConfigSection(const models::ModelConfig& c) {
  Json j;
  j["architecture"] = c.architecture_name;
  j["family"] = std::string(models::FamilyName(c.architecture));
  j["model_type"] = c.model_type;
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["intermediate_size"] = c.intermediate_size;
  j["num_attention_heads"] = c.num_attention_heads;
  j["num_key_value_heads"] = c.num_key_value_heads;
  if (c.is_mla()) {
    j["q_lora_rank"] = c.has_q_lora() ? Json(c.q_lora_rank) : Json(nullptr);
    j["kv_lora_rank"] = c.kv_lora_rank;
    j["qk_nope_head_dim"] = c.qk_nope_head_dim;
    j["qk_rope_head_dim"] = c.qk_rope_head_dim;
    j["v_head_dim"] = c.v_head_dim;
  } else {
    j["head_dim"] = c.head_dim;
    j["qkv_bias"] = c.qkv_bias;
  }
  if (c.HasMoe()) {
    std::vector<int64_t> moe_layers;
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      if (c.IsMoeLayer(i)) moe_layers.push_back(i);
    }
    j["moe"] = {{"n_routed_experts", c.n_routed_experts},
                {"num_experts_per_tok", c.num_experts_per_tok},
                {"n_shared_experts", c.n_shared_experts},
                {"moe_intermediate_size", c.moe_intermediate_size},
                {"first_k_dense_replace", c.first_k_dense_replace},
                {"moe_layer_freq", c.moe_layer_freq},
                {"moe_layers", moe_layers},
                {"topk_method", c.topk_method},
                {"scoring_func", c.scoring_func},
                {"n_group", c.n_group},
                {"topk_group", c.topk_group},
                {"norm_topk_prob", c.norm_topk_prob},
                {"routed_scaling_factor", c.routed_scaling_factor}};
  }
  const models::RopeScaling& r = c.rope_scaling;
  Json rope = {{"rope_theta", c.rope_theta}, {"type", r.type_name}};
  if (r.type != models::RopeType::kDefault) rope["factor"] = r.factor;
  if (r.original_max_position_embeddings) {
    rope["original_max_position_embeddings"] = *r.original_max_position_embeddings;
  }
  if (r.type == models::RopeType::kYarn) {
    rope["beta_fast"] = r.beta_fast;
    rope["beta_slow"] = r.beta_slow;
    if (r.mscale) rope["mscale"] = *r.mscale;
    if (r.mscale_all_dim) rope["mscale_all_dim"] = *r.mscale_all_dim;
    if (r.attention_factor) rope["attention_factor"] = *r.attention_factor;
  }
  j["rope"] = rope;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["torch_dtype"] = c.torch_dtype;
  if (c.quantization.method != models::QuantMethod::kNone) {
    Json q = {{"quant_method", c.quantization.method_name}};
    if (c.is_fp8()) {
      q["fmt"] = c.quantization.fmt;
      q["weight_block_size"] = {c.quantization.weight_block_size[0],
                                c.quantization.weight_block_size[1]};
    }
    j["quantization"] = q;
  }
  if (c.num_nextn_predict_layers > 0) j["num_nextn_predict_layers"] = c.num_nextn_predict_layers;
  return j;
}

Json ParametersAndMemory(const models::ModelConfig& c) {
  const models::ParameterCounts n = models::CountParameters(c);
  Json j;
  j["parameters"] = {{"total", n.total},
                     {"active", n.active},
                     {"active_with_embedding", n.active_with_embedding},
                     {"embedding", n.embedding},
                     {"lm_head", n.lm_head},
                     {"routed_experts", n.routed_experts},
                     {"convention", std::string(models::kActiveParameterConvention)}};
  const int64_t tokens = c.max_position_embeddings;
  const int64_t kv_bf16 = models::KvCacheBytesPerToken(c, DType::kBF16);
  const int64_t kv_f32 = models::KvCacheBytesPerToken(c, DType::kF32);
  j["memory"] = {{"weights_stored_bytes", models::StoredWeightBytes(c, c.dtype)},
                 {"weights_stored_source", "config"},
                 {"weights_bf16_bytes", models::WeightBytesIn(c, DType::kBF16)},
                 {"kv_cache_bytes_per_token", {{"bf16", kv_bf16}, {"f32", kv_f32}}},
                 {"kv_cache_bytes_max_position_embeddings",
                  {{"tokens", tokens}, {"bf16", kv_bf16 * tokens}, {"f32", kv_f32 * tokens}}}};
  return j;
}

// Fills report["checkpoint"], ["problems"], ["ignored"], ["hints"] from the weight files.
Status CheckCheckpoint(const models::ModelConfig& c, const fs::path& dir, bool list_tensors,
                       Json& report) {
  DSI_ASSIGN_OR_RETURN(loader::Checkpoint ckpt, loader::Checkpoint::Open(dir));
  std::vector<models::ActualTensor> actual;
  std::map<std::string, std::pair<int64_t, int64_t>> dtypes;  // name -> (tensors, bytes)
  std::map<int64_t, int64_t> per_layer;                       // -1 = global
  Json tensors = Json::array();
  int64_t stored_bytes = 0;
  // Grouped by layer in numeric order (global tensors first), by name within a layer.
  std::vector<std::pair<int64_t, std::string>> names;
  for (std::string& name : ckpt.TensorNames()) {
    names.emplace_back(models::LayerIndexOf(name).value_or(-1), std::move(name));
  }
  std::sort(names.begin(), names.end());
  for (const auto& [layer, name] : names) {
    const loader::TensorInfo* info = ckpt.Find(name);
    actual.push_back({name, info->dtype, info->shape});
    const int64_t bytes = static_cast<int64_t>(info->end - info->begin);
    auto& [count, total] = dtypes[std::string(DTypeName(info->dtype))];
    ++count;
    total += bytes;
    stored_bytes += bytes;
    ++per_layer[layer];
    if (list_tensors) {
      tensors.push_back({{"name", name},
                         {"dtype", std::string(DTypeName(info->dtype))},
                         {"shape", info->shape.ToString()},
                         {"layer", layer}});
    }
  }
  const models::TensorCheckReport r = models::CheckTensors(c, actual);
  Json& cp = report["checkpoint"];
  cp["files"] = ckpt.files().size();
  cp["tensors"] = ckpt.num_tensors();
  cp["expected_tensors"] = r.num_expected;
  cp["matched_tensors"] = r.num_matched;
  Json d = Json::object();
  for (const auto& [name, v] : dtypes) d[name] = {{"tensors", v.first}, {"bytes", v.second}};
  cp["dtypes"] = d;
  Json layers = Json::object();
  for (const auto& [layer, n] : per_layer) {
    layers[layer < 0 ? "global" : std::to_string(layer)] = n;
  }
  cp["tensors_per_layer"] = layers;
  if (list_tensors) cp["tensor_list"] = tensors;
  report["memory"]["weights_stored_bytes"] = stored_bytes;
  report["memory"]["weights_stored_source"] = "checkpoint";
  report["problems"] = {{"missing", r.missing},
                        {"wrong_shape", r.wrong_shape},
                        {"wrong_dtype", r.wrong_dtype},
                        {"unexpected", r.unexpected}};
  Json ignored = Json::array();
  for (const models::IgnoredTensor& t : r.ignored) {
    ignored.push_back({{"name", t.name}, {"reason", t.reason}});
  }
  report["ignored"] = ignored;
  report["hints"] = r.hints;
  report["num_problems"] = r.num_problems();
  return Status::Ok();
}

void PrintList(const char* label, const Json& items, bool all) {
  if (items.empty()) return;
  size_t shown = 0;
  for (const Json& item : items) {
    if (!all && shown == kMaxListed) {
      std::printf("%-13s ... and %zu more (--tensors or --json lists all)\n", "",
                  items.size() - shown);
      break;
    }
    std::printf("%-13s %s\n", shown == 0 ? label : "", item.get<std::string>().c_str());
    ++shown;
  }
}

void PrintHuman(const Json& r, bool list_tensors) {
  const Json& c = r["config"];
  auto line = [](const char* label, const std::string& text) {
    std::printf("%-13s %s\n", label, text.c_str());
  };
  line("model", r["path"].get<std::string>());
  line("architecture",
       c["architecture"].get<std::string>() + " (family " + c["family"].get<std::string>() + ")");
  line("size", "hidden_size " + c["hidden_size"].dump() + ", num_hidden_layers " +
                   c["num_hidden_layers"].dump() + ", vocab_size " + c["vocab_size"].dump() +
                   ", intermediate_size " + c["intermediate_size"].dump() +
                   ", max_position_embeddings " + c["max_position_embeddings"].dump());
  if (c.contains("kv_lora_rank")) {
    line("attention", "MLA, " + c["num_attention_heads"].dump() + " heads, q_lora_rank " +
                          c["q_lora_rank"].dump() + ", kv_lora_rank " + c["kv_lora_rank"].dump() +
                          ", qk_nope_head_dim " + c["qk_nope_head_dim"].dump() +
                          ", qk_rope_head_dim " + c["qk_rope_head_dim"].dump() + ", v_head_dim " +
                          c["v_head_dim"].dump());
  } else {
    line("attention", "GQA, " + c["num_attention_heads"].dump() + " heads, " +
                          c["num_key_value_heads"].dump() + " kv heads, head_dim " +
                          c["head_dim"].dump() + (c["qkv_bias"].get<bool>() ? ", qkv bias" : ""));
  }
  if (c.contains("moe")) {
    const Json& m = c["moe"];
    line("moe", m["n_routed_experts"].dump() + " routed experts (top " +
                    m["num_experts_per_tok"].dump() + ") + " + m["n_shared_experts"].dump() +
                    " shared, moe_intermediate_size " + m["moe_intermediate_size"].dump() +
                    ", first_k_dense_replace " + m["first_k_dense_replace"].dump());
    line("", m["topk_method"].get<std::string>() + " / " + m["scoring_func"].get<std::string>() +
                 ", n_group " + m["n_group"].dump() + ", topk_group " + m["topk_group"].dump() +
                 ", norm_topk_prob " + m["norm_topk_prob"].dump() + ", routed_scaling_factor " +
                 m["routed_scaling_factor"].dump());
  }
  std::string rope;
  for (const auto& [key, value] : c["rope"].items()) {
    rope += (rope.empty() ? "" : ", ") + key + " " +
            (value.is_string() ? value.get<std::string>() : value.dump());
  }
  line("rope", rope);
  if (c.contains("quantization")) line("quantization", c["quantization"].dump());
  line("dtype", c["torch_dtype"].get<std::string>().empty() ? "(unset: bfloat16)"
                                                            : c["torch_dtype"].get<std::string>());
  const Json& p = r["parameters"];
  line("parameters", "total " + Count(p["total"].get<int64_t>()));
  line("", "active per token " + Count(p["active"].get<int64_t>()) + "; with embed_tokens " +
               Count(p["active_with_embedding"].get<int64_t>()));
  line("", "(" + p["convention"].get<std::string>() + ")");
  const Json& m = r["memory"];
  line("memory", "weights as stored " + Bytes(m["weights_stored_bytes"].get<int64_t>()) + " (" +
                     m["weights_stored_source"].get<std::string>() + "), as bf16 " +
                     Bytes(m["weights_bf16_bytes"].get<int64_t>()));
  const Json& kv = m["kv_cache_bytes_per_token"];
  const Json& kv_max = m["kv_cache_bytes_max_position_embeddings"];
  line("", "KV cache per token " + Bytes(kv["bf16"].get<int64_t>()) + " bf16, " +
               Bytes(kv["f32"].get<int64_t>()) + " f32; for " +
               Grouped(kv_max["tokens"].get<int64_t>()) + " tokens (max_position_embeddings) " +
               Bytes(kv_max["bf16"].get<int64_t>()) + " bf16, " +
               Bytes(kv_max["f32"].get<int64_t>()) + " f32");
  if (r.contains("rank_plan")) {
    const Json& plan = r["rank_plan"];
    line("ranks", "tp " + plan["tp"].dump() + " x pp " + plan["pp"].dump() + " (ep " +
                      plan["ep"].dump() + ") = " + plan["ranks_per_replica"].dump() +
                      " ranks per replica, " + plan["dtype"].get<std::string>() + " compute");
    for (const Json& k : plan["ranks"]) {
      line("", "rank " + k["rank"].dump() + " (pp " + k["pp_rank"].dump() + ", tp " +
                   k["tp_rank"].dump() + "): layers [" + k["layers"][0].dump() + ", " +
                   k["layers"][1].dump() + "), weights " +
                   Bytes(k["weight_bytes"].get<int64_t>()) + ", KV cache " +
                   Bytes(k["kv_cache_bytes_per_token"].get<int64_t>()) + " per token");
    }
  }
  if (r.contains("checkpoint")) {
    const Json& cp = r["checkpoint"];
    line("checkpoint", cp["files"].dump() + " file(s), " + cp["tensors"].dump() + " tensors, " +
                           cp["matched_tensors"].dump() + " of " + cp["expected_tensors"].dump() +
                           " expected tensors match");
    std::string dtypes;
    for (const auto& [name, v] : cp["dtypes"].items()) {
      dtypes += (dtypes.empty() ? "" : "; ") + name + " " + v["tensors"].dump() + " tensors " +
                Bytes(v["bytes"].get<int64_t>());
    }
    line("dtypes", dtypes);
    std::string layers;
    for (const auto& [layer, n] : cp["tensors_per_layer"].items()) {
      layers += (layers.empty() ? "" : ", ") + (layer == "global" ? layer : "layer " + layer) +
                " " + n.dump();
    }
    line("tensors", layers);
    if (list_tensors) {
      int64_t current = -2;
      for (const Json& t : cp["tensor_list"]) {
        const int64_t layer = t["layer"].get<int64_t>();
        if (layer != current) {
          std::printf("  %s\n", layer < 0 ? "global" : ("layer " + std::to_string(layer)).c_str());
          current = layer;
        }
        std::printf("    %-62s %-8s %s\n", t["name"].get<std::string>().c_str(),
                    t["dtype"].get<std::string>().c_str(), t["shape"].get<std::string>().c_str());
      }
    }
    if (!r["ignored"].empty()) {
      std::map<std::string, int> reasons;
      for (const Json& t : r["ignored"]) ++reasons[t["reason"].get<std::string>()];
      for (const auto& [reason, n] : reasons) {
        line("ignored", std::to_string(n) + " tensor(s): " + reason);
      }
      if (list_tensors) {
        for (const Json& t : r["ignored"]) line("", t["name"].get<std::string>());
      }
    }
    PrintList("missing", r["problems"]["missing"], list_tensors);
    PrintList("wrong shape", r["problems"]["wrong_shape"], list_tensors);
    PrintList("wrong dtype", r["problems"]["wrong_dtype"], list_tensors);
    PrintList("unexpected", r["problems"]["unexpected"], list_tensors);
    PrintList("hint", r["hints"], true);
  } else if (r.contains("checkpoint_error")) {
    line("checkpoint", "ERROR: " + r["checkpoint_error"].get<std::string>());
  } else {
    line("checkpoint", "not checked (a config file was given)");
  }
  PrintList("unsupported", r["unsupported_features"], true);
  line("status", r["status"].get<std::string>());
}

struct LayoutArgs {
  int tp = 1;
  int pp = 1;
  int ep = 0;
  std::string pp_layers;
  std::string dtype = "bf16";
  bool given() const { return tp > 1 || pp > 1 || ep > 0 || !pp_layers.empty(); }
};

// What each rank of one replica holds under the layout (models::PlanRanks).
Result<Json> RankPlanSection(const models::ModelConfig& c, const LayoutArgs& a) {
  DSI_ASSIGN_OR_RETURN(const DType dtype, ParseComputeDType(a.dtype));
  DSI_ASSIGN_OR_RETURN(std::vector<int64_t> counts, models::ParseLayerCounts(a.pp_layers));
  DSI_ASSIGN_OR_RETURN(const std::vector<models::RankPlan> plan,
                       models::PlanRanks(c, {a.tp, a.pp, a.ep, std::move(counts)}, dtype));
  Json ranks = Json::array();
  for (size_t r = 0; r < plan.size(); ++r) {
    const models::RankPlan& p = plan[r];
    ranks.push_back({{"rank", r},
                     {"pp_rank", p.pp_rank},
                     {"tp_rank", p.tp_rank},
                     {"layers", {p.layers.begin, p.layers.end}},
                     {"weight_bytes", p.weight_bytes},
                     {"kv_cache_bytes_per_token", p.kv_bytes_per_token}});
  }
  return Json{{"tp", a.tp},
              {"pp", a.pp},
              {"ep", a.ep == 0 ? a.tp : a.ep},
              {"dtype", a.dtype},
              {"ranks_per_replica", plan.size()},
              {"ranks", ranks}};
}

int Inspect(const std::string& path_arg, bool json, bool list_tensors, const LayoutArgs& layout) {
  const fs::path path = path_arg;
  std::error_code ec;
  const bool config_only = fs::is_regular_file(path, ec) && path.extension() == ".json";
  Json report;
  report["path"] = path_arg;
  auto fail = [&](const Status& status, const char* what) {
    report["status"] = what;
    report["error"] = status.ToString();
    if (json) {
      std::cout << report.dump(2) << "\n";
    } else {
      std::cerr << "inspect: " << status.ToString() << "\n";
    }
    return kExitProblems;
  };
  if (!config_only && !fs::is_directory(path, ec)) {
    return fail(NotFound(path_arg + ": not a model directory (nor a config .json file)"),
                "not found");
  }
  Result<models::ModelConfig> config = models::LoadModelConfig(path);
  if (!config.ok()) return fail(config.status(), "invalid config");
  report["config"] = ConfigSection(*config);
  report.update(ParametersAndMemory(*config));
  report["unsupported_features"] = config->unsupported_features;
  if (layout.given()) {
    Result<Json> plan = RankPlanSection(*config, layout);
    if (!plan.ok()) return fail(plan.status(), "invalid layout");
    report["rank_plan"] = std::move(*plan);
  }
  int exit_code = config->unsupported_features.empty() ? kExitOk : kExitUnsupported;
  if (!config_only) {
    Status st = CheckCheckpoint(*config, path, list_tensors, report);
    if (!st.ok()) {
      report["checkpoint_error"] = st.ToString();
      if (!json) {
        report["status"] = "UNREADABLE: " + st.ToString();
        PrintHuman(report, false);
      }
      return fail(st, "unreadable checkpoint");
    }
    if (report["num_problems"].get<size_t>() > 0) exit_code = kExitProblems;
  }
  if (exit_code == kExitOk) {
    report["status"] = config_only ? "OK: config valid and supported (tensors not checked)"
                                   : "OK: complete and supported";
  } else if (exit_code == kExitUnsupported) {
    report["status"] = "UNSUPPORTED: " + std::to_string(config->unsupported_features.size()) +
                       " feature(s) this engine does not implement";
  } else {
    report["status"] = "INCOMPLETE: " + report["num_problems"].dump() +
                       " tensor problem(s); the checkpoint does not match config.json";
  }
  if (json) {
    std::cout << report.dump(2) << "\n";
  } else {
    PrintHuman(report, list_tensors);
  }
  return exit_code;
}

}  // namespace

void RegisterInspect(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Show what a checkpoint holds and check it against the model's tensor table: architecture, "
      "config, parameter counts (total, active per token), dtypes, tensors per layer, missing / "
      "unexpected / wrongly shaped tensors, unsupported features, weight and KV-cache memory; "
      "with --tp/--pp/--ep, what each rank of that layout holds. "
      "Exit status: 0 complete and supported, 2 invalid config, unreadable or incomplete "
      "checkpoint, 3 complete but unsupported.");
  auto model_dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto tensors = std::make_shared<bool>(false);
  cmd->add_option("model_dir", *model_dir,
                  "Hugging Face checkpoint directory (config.json + safetensors), or a config "
                  ".json file alone for the numbers without checking weights")
      ->required();
  cmd->add_flag("--json", *json, "Print the full report as JSON");
  cmd->add_flag("--tensors", *tensors, "List every tensor (name, dtype, shape) and every problem");
  auto layout = std::make_shared<LayoutArgs>();
  cmd->add_option("--tp", layout->tp, "Plan per rank: tensor-parallel size");
  cmd->add_option("--pp", layout->pp, "Plan per rank: pipeline stages");
  cmd->add_option("--ep", layout->ep, "Plan per rank: expert-parallel size (0 = tp)");
  cmd->add_option("--pp-layers", layout->pp_layers, "Plan per rank: layers per stage, e.g. 4,4,3");
  cmd->add_option("--dtype", layout->dtype, "Compute dtype of the per-rank plan: bf16 or f32")
      ->capture_default_str();
  cmd->callback([model_dir, json, tensors, layout, &exit_code] {
    exit_code = Inspect(*model_dir, *json, *tensors, *layout);
  });
}

}  // namespace dsi::apps
