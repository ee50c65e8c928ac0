// `dsinfer info`: what this host offers — the `npu-smi info` of this engine.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "kernels/kernel_table.h"
#include "platform/cpu_features.h"
#if DSI_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace dsi::apps {
namespace {

std::string Pcre2Version() {
  char buf[64] = {};
  pcre2_config(PCRE2_CONFIG_VERSION, buf);
  return buf;
}

std::string OneDnnVersion() {
#if DSI_HAVE_DNNL
  const dnnl_version_t* v = dnnl_version();
  std::ostringstream s;
  s << v->major << "." << v->minor << "." << v->patch;
  return s.str();
#else
  return "not linked";
#endif
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && std::filesystem::exists(std::filesystem::path(dir) / program)) return true;
  }
  return false;
}

nlohmann::ordered_json CollectInfo() {
  const platform::CpuFeatures& f = platform::GetCpuFeatures();
  const platform::Topology t = platform::GetTopology();
  nlohmann::ordered_json j;
  j["cpu"] = {{"vendor", f.vendor}, {"brand", f.brand}};
  j["isa"] = {{"avx2", f.avx2},
              {"fma", f.fma},
              {"f16c", f.f16c},
              {"avx512f", f.avx512f},
              {"avx512bw", f.avx512bw},
              {"avx512vl", f.avx512vl},
              {"avx512dq", f.avx512dq},
              {"avx512_vnni", f.avx512_vnni},
              {"avx512_bf16", f.avx512_bf16},
              {"avx512_fp16", f.avx512_fp16},
              {"os_avx512_state", f.os_avx512},
              {"amx_tile", f.amx_tile},
              {"amx_int8", f.amx_int8},
              {"amx_bf16", f.amx_bf16},
              {"os_amx_state", f.os_amx}};
  j["amx"] = {{"usable", f.amx_usable}, {"status", f.amx_status}};
  j["kernels"] = kernels::Kernels().isa;
  j["topology"] = {{"logical_cpus", t.logical_cpus},
                   {"usable_cpus", t.usable_cpus},
                   {"numa_nodes", t.numa_nodes},
                   {"memory_total_gib", t.total_memory_bytes / double(1 << 30)},
                   {"memory_available_gib", t.available_memory_bytes / double(1 << 30)}};
  j["mpi"] = {{"mpirun_on_path", OnPath("mpirun")},
#if DSI_HAVE_MPI_HEADERS
              {"built_with_mpi", true}
#else
              {"built_with_mpi", false}
#endif
  };
  j["libraries"] = {{"onednn", OneDnnVersion()},
                    {"pcre2", Pcre2Version()},
                    {"nlohmann_json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
                                          std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
                                          std::to_string(NLOHMANN_JSON_VERSION_PATCH)},
                    {"cli11", CLI11_VERSION}};
  return j;
}

void PrintHuman(const nlohmann::ordered_json& j) {
  auto yes = [](const nlohmann::ordered_json& v) { return v.get<bool>() ? "yes" : "no"; };
  std::cout << "CPU        " << j["cpu"]["brand"].get<std::string>() << " ("
            << j["cpu"]["vendor"].get<std::string>() << ")\n";
  std::cout << "ISA       ";
  for (const auto& [name, value] : j["isa"].items()) {
    if (value.get<bool>()) std::cout << " " << name;
  }
  std::cout << "\nAMX        " << j["amx"]["status"].get<std::string>() << "\n";
  std::cout << "kernels    " << j["kernels"].get<std::string>() << "\n";
  const auto& t = j["topology"];
  std::cout << "cores      " << t["usable_cpus"] << " usable of " << t["logical_cpus"]
            << " logical, " << t["numa_nodes"] << " NUMA node(s)\n";
  std::cout.precision(3);
  std::cout << "memory     " << t["memory_available_gib"].get<double>() << " GiB available of "
            << t["memory_total_gib"].get<double>() << " GiB\n";
  std::cout << "MPI        mpirun on PATH: " << yes(j["mpi"]["mpirun_on_path"])
            << ", built with MPI: " << yes(j["mpi"]["built_with_mpi"]) << "\n";
  std::cout << "libraries ";
  for (const auto& [name, value] : j["libraries"].items()) {
    std::cout << " " << name << " " << value.get<std::string>();
  }
  std::cout << "\n";
}

}  // namespace

void RegisterInfo(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "info", "Show what this host offers: ISA features, AMX, cores, memory, MPI, libraries.");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print the report as JSON");
  cmd->callback([json, &exit_code] {
    const nlohmann::ordered_json info = CollectInfo();
    if (*json) {
      std::cout << info.dump(2) << "\n";
    } else {
      PrintHuman(info);
    }
    exit_code = 0;
  });
}

}  // namespace dsi::apps
