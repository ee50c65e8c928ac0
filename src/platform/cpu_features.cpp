// CPUID / XGETBV probing and Linux topology readers.
#include "platform/cpu_features.h"

#include <cpuid.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace dsi::platform {
namespace {

constexpr int kArchGetXcompPerm = 0x1022;
constexpr int kArchReqXcompPerm = 0x1023;
constexpr int kXfeatureXtiledata = 18;

uint64_t ReadXcr0() {
  uint32_t eax, edx;
  // xgetbv with ecx = 0, written as bytes so the file needs no -mxsave.
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

bool Bit(uint32_t reg, int bit) { return (reg >> bit) & 1u; }

void RequestAmx(CpuFeatures& f) {
  if (!f.amx_tile) {
    f.amx_status = "not available: this CPU has no AMX";
    return;
  }
  if (!f.os_amx) {
    f.amx_status = "not available: the OS does not enable AMX tile state (XCR0)";
    return;
  }
  uint64_t bitmask = 0;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0) {
    f.amx_status = std::string("not usable: arch_prctl(ARCH_REQ_XCOMP_PERM) failed: ") +
                   std::strerror(errno) + " (Linux >= 5.16 is needed)";
    return;
  }
  if (syscall(SYS_arch_prctl, kArchGetXcompPerm, &bitmask) != 0 ||
      !(bitmask & (1ull << kXfeatureXtiledata))) {
    f.amx_status = "not usable: the kernel did not grant tile data permission";
    return;
  }
  f.amx_usable = true;
  f.amx_status = "usable (tile data permission granted)";
}

CpuFeatures Detect() {
  CpuFeatures f;
  uint32_t a, b, c, d;
  __get_cpuid(0, &a, &b, &c, &d);
  const uint32_t max_leaf = a;
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  f.vendor = vendor;

  bool osxsave = false;
  if (max_leaf >= 1) {
    __cpuid(1, a, b, c, d);
    f.fma = Bit(c, 12);
    f.f16c = Bit(c, 29);
    osxsave = Bit(c, 27);
  }
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = Bit(b, 5);
    f.avx512f = Bit(b, 16);
    f.avx512dq = Bit(b, 17);
    f.avx512bw = Bit(b, 30);
    f.avx512vl = Bit(b, 31);
    f.avx512_vnni = Bit(c, 11);
    f.amx_bf16 = Bit(d, 22);
    f.avx512_fp16 = Bit(d, 23);
    f.amx_tile = Bit(d, 24);
    f.amx_int8 = Bit(d, 25);
    __cpuid_count(7, 1, a, b, c, d);
    f.avx512_bf16 = Bit(a, 5);
  }
  if (osxsave) {
    const uint64_t xcr0 = ReadXcr0();
    f.os_avx512 = (xcr0 & 0xe6) == 0xe6;            // SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
    f.os_amx = (xcr0 & (3ull << 17)) == (3ull << 17);  // TILECFG, TILEDATA
  }

  __get_cpuid(0x80000000, &a, &b, &c, &d);
  if (a >= 0x80000004) {
    char brand[49] = {};
    for (uint32_t leaf = 0; leaf < 3; ++leaf) {
      __cpuid(0x80000002 + leaf, a, b, c, d);
      std::memcpy(brand + leaf * 16, &a, 4);
      std::memcpy(brand + leaf * 16 + 4, &b, 4);
      std::memcpy(brand + leaf * 16 + 8, &c, 4);
      std::memcpy(brand + leaf * 16 + 12, &d, 4);
    }
    f.brand = brand;
    const size_t first = f.brand.find_first_not_of(' ');
    f.brand = first == std::string::npos ? "" : f.brand.substr(first);
  }
  RequestAmx(f);
  return f;
}

int64_t MeminfoBytes(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream fields(line.substr(key.size() + 1));
      int64_t kb = 0;
      fields >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

}  // namespace

const CpuFeatures& GetCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

Topology GetTopology() {
  Topology t;
  t.logical_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) t.usable_cpu_ids.push_back(cpu);
    }
  }
  t.usable_cpus = static_cast<int>(t.usable_cpu_ids.size());
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/devices/system/node", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("node", 0) == 0 && name.size() > 4 &&
        name.find_first_not_of("0123456789", 4) == std::string::npos) {
      ++t.numa_nodes;
    }
  }
  if (t.numa_nodes == 0) t.numa_nodes = 1;  // no sysfs node info: one node
  t.total_memory_bytes = MeminfoBytes("MemTotal");
  t.available_memory_bytes = MeminfoBytes("MemAvailable");
  return t;
}

}  // namespace dsi::platform
