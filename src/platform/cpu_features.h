// What the CPU and OS offer: ISA extensions (checked with CPUID and, for register
// state, XGETBV), AMX usability after the Linux permission request, and topology.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsi::platform {

struct CpuFeatures {
  std::string vendor;
  std::string brand;
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512_vnni = false;
  bool avx512_bf16 = false;
  bool avx512_fp16 = false;
  bool amx_tile = false;  // CPUID says the tile unit exists
  bool amx_int8 = false;
  bool amx_bf16 = false;
  bool os_avx512 = false;  // XCR0 enables opmask + ZMM state
  bool os_amx = false;     // XCR0 enables TILECFG + TILEDATA
  // True once the kernel granted this process AMX tile data (RequestAmxPermission()).
  bool amx_usable = false;
  std::string amx_status;  // why AMX is or is not usable, for `dsinfer info`

  // The AVX-512 set our *_avx512.cpp kernels are compiled for.
  bool HasAvx512Kernels() const {
    return os_avx512 && avx512f && avx512bw && avx512vl && avx512dq && avx512_vnni && avx512_bf16;
  }
  bool HasAmxKernels() const { return HasAvx512Kernels() && amx_usable && amx_int8 && amx_bf16; }
};

// Detects once (thread-safe) and asks Linux for AMX permission (arch_prctl
// ARCH_REQ_XCOMP_PERM) the first time; later calls return the cached result.
const CpuFeatures& GetCpuFeatures();

struct Topology {
  int logical_cpus = 0;     // online CPUs
  int usable_cpus = 0;      // CPUs in this process's affinity mask
  std::vector<int> usable_cpu_ids;
  int numa_nodes = 0;
  int64_t total_memory_bytes = 0;
  int64_t available_memory_bytes = 0;  // MemAvailable from /proc/meminfo
};

Topology GetTopology();

}  // namespace dsi::platform
