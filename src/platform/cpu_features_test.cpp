// Feature detection must be self-consistent; values depend on the host.
#include "platform/cpu_features.h"

#include <gtest/gtest.h>

namespace dsi::platform {
namespace {

TEST(CpuFeaturesTest, ConsistentWithCompilerBuiltins) {
  const CpuFeatures& f = GetCpuFeatures();
  __builtin_cpu_init();
  EXPECT_EQ(f.avx2, __builtin_cpu_supports("avx2") != 0);
  // GCC's builtin also checks OS support for AVX-512 state.
  EXPECT_EQ(f.avx512f && f.os_avx512, __builtin_cpu_supports("avx512f") != 0);
  EXPECT_EQ(f.avx512_vnni && f.os_avx512, __builtin_cpu_supports("avx512vnni") != 0);
  EXPECT_FALSE(f.vendor.empty());
  EXPECT_FALSE(f.amx_status.empty());
  if (f.amx_usable) EXPECT_TRUE(f.amx_tile && f.os_amx);
  EXPECT_EQ(&GetCpuFeatures(), &f);  // cached
}

TEST(TopologyTest, SaneNumbers) {
  Topology t = GetTopology();
  EXPECT_GE(t.logical_cpus, 1);
  EXPECT_GE(t.usable_cpus, 1);
  EXPECT_LE(t.usable_cpus, t.logical_cpus);
  EXPECT_GE(t.numa_nodes, 1);
  EXPECT_GT(t.total_memory_bytes, 0);
  EXPECT_LE(t.available_memory_bytes, t.total_memory_bytes);
}

}  // namespace
}  // namespace dsi::platform
