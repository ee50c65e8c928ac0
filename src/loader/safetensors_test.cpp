// safetensors reading and writing: a file written by PyTorch's `safetensors`, round trips of
// every dtype through WriteSafetensors, views into the mapping, and the writer's checks.
#include "loader/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "testing/test_util.h"

namespace dsi::loader {
namespace {

using dsi::testing::ReadFile;
using dsi::testing::TempDir;
using dsi::testing::WriteFile;

std::span<const uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// [NOTE: golden file] Written by the reference library (torch 2.15.0, safetensors 0.8.0):
//   f = [0.5, -1.5, 2.0, 3.0, -4.0, 0.25]
//   t = {"f32": torch.tensor(f, dtype=torch.float32).reshape(2, 3), "f64": ...reshape(3, 2),
//        "f16": ...reshape(6), "bf16": ...reshape(1, 2, 3),
//        "f8_e4m3"/"f8_e5m2": torch.tensor(f).to(torch.float8_e4m3fn / float8_e5m2).reshape(2, 3),
//        "i8": [0, 1, -2, 3, -128, 127], "u8": [0, 1, 2, 3, 250, 255],
//        "i16": [0, 1, -2, 3, -32768, 32767], "u16": [0, 1, 2, 3, 65000, 65535],
//        "i32": [0, 1, -2, 3, -2**31, 2**31 - 1], "u32": [0, 1, 2, 3, 4000000000, 2**32 - 1],
//        "i64": [0, 1, -2, 3, -2**63, 2**63 - 1], "u64": [0, 1, 2, 3, 2**40, 2**64 - 1]
//        (all .reshape(2, 3)), "bool": [[True, False, True], [True, False, True]],
//        "scalar": torch.tensor(7.0), "empty": torch.zeros(0, 4, dtype=torch.bfloat16)}
//   b = safetensors.torch.save(t, metadata={"format": "pt", "note": "golden"})
// Below: the header JSON as written (then 6 padding spaces) and the 298 data bytes.
constexpr std::string_view kGoldenHeaderJson =
    R"({"__metadata__":{"format":"pt","note":"golden"},"u64":{"dtype":"U64","shape":[2,3],)"
    R"("data_offsets":[0,48]},"i64":{"dtype":"I64","shape":[2,3],"data_offsets":[48,96]},)"
    R"("f64":{"dtype":"F64","shape":[3,2],"data_offsets":[96,144]},"f32":{"dtype":"F32",)"
    R"("shape":[2,3],"data_offsets":[144,168]},"scalar":{"dtype":"F32","shape":[],)"
    R"("data_offsets":[168,172]},"u32":{"dtype":"U32","shape":[2,3],"data_offsets":[172,196]},)"
    R"("i32":{"dtype":"I32","shape":[2,3],"data_offsets":[196,220]},"bf16":{"dtype":"BF16",)"
    R"("shape":[1,2,3],"data_offsets":[220,232]},"empty":{"dtype":"BF16","shape":[0,4],)"
    R"("data_offsets":[232,232]},"f16":{"dtype":"F16","shape":[6],"data_offsets":[232,244]},)"
    R"("u16":{"dtype":"U16","shape":[2,3],"data_offsets":[244,256]},"i16":{"dtype":"I16",)"
    R"("shape":[2,3],"data_offsets":[256,268]},"f8_e4m3":{"dtype":"F8_E4M3","shape":[2,3],)"
    R"("data_offsets":[268,274]},"f8_e5m2":{"dtype":"F8_E5M2","shape":[2,3],)"
    R"("data_offsets":[274,280]},"i8":{"dtype":"I8","shape":[2,3],"data_offsets":[280,286]},)"
    R"("u8":{"dtype":"U8","shape":[2,3],"data_offsets":[286,292]},"bool":{"dtype":"BOOL",)"
    R"("shape":[2,3],"data_offsets":[292,298]}})";
constexpr size_t kGoldenHeaderBytes = 1104;  // the u64 the library wrote in bytes 0-7
const char kGoldenData[] =
    "\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00"
    "\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\xff\xff\xff\xff"
    "\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xfe\xff"
    "\xff\xff\xff\xff\xff\xff\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
    "\xff\xff\xff\xff\xff\xff\xff\x7f\x00\x00\x00\x00\x00\x00\xe0\x3f\x00\x00\x00\x00\x00\x00"
    "\xf8\xbf\x00\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00\x00\x00\x00\x08\x40\x00\x00\x00\x00"
    "\x00\x00\x10\xc0\x00\x00\x00\x00\x00\x00\xd0\x3f\x00\x00\x00\x3f\x00\x00\xc0\xbf\x00\x00"
    "\x00\x40\x00\x00\x40\x40\x00\x00\x80\xc0\x00\x00\x80\x3e\x00\x00\xe0\x40\x00\x00\x00\x00"
    "\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x00\x28\x6b\xee\xff\xff\xff\xff\x00\x00"
    "\x00\x00\x01\x00\x00\x00\xfe\xff\xff\xff\x03\x00\x00\x00\x00\x00\x00\x80\xff\xff\xff\x7f"
    "\x00\x3f\xc0\xbf\x00\x40\x40\x40\x80\xc0\x80\x3e\x00\x38\x00\xbe\x00\x40\x00\x42\x00\xc4"
    "\x00\x34\x00\x00\x01\x00\x02\x00\x03\x00\xe8\xfd\xff\xff\x00\x00\x01\x00\xfe\xff\x03\x00"
    "\x00\x80\xff\x7f\x30\xbc\x40\x44\xc8\x28\x38\xbe\x40\x42\xc4\x34\x00\x01\xfe\x03\x80\x7f"
    "\x00\x01\x02\x03\xfa\xff\x01\x00\x01\x01\x00\x01";

std::string GoldenFile() {
  std::string header(kGoldenHeaderJson);
  header.append(kGoldenHeaderBytes - header.size(), ' ');
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>(uint64_t{kGoldenHeaderBytes} >> (8 * i));
  return file + header + std::string(kGoldenData, sizeof(kGoldenData) - 1);
}

template <typename T>
std::vector<T> Values(const SafetensorsFile& f, std::string_view name) {
  const TensorInfo* info = f.Find(name);
  EXPECT_NE(info, nullptr) << name;
  if (info == nullptr) return {};
  const std::span<const uint8_t> bytes = f.Bytes(*info);
  EXPECT_EQ(bytes.size() % sizeof(T), 0u);
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

TEST(SafetensorsTest, ReadsFileWrittenByPyTorch) {
  TempDir dir;
  const std::string bytes = GoldenFile();
  ASSERT_EQ(bytes.size(), 8 + kGoldenHeaderBytes + 298);
  WriteFile(dir / "golden.safetensors", bytes);
  auto file = SafetensorsFile::Open(dir / "golden.safetensors");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const SafetensorsFile& f = **file;

  EXPECT_EQ(f.metadata(),
            (std::map<std::string, std::string>{{"format", "pt"}, {"note", "golden"}}));
  ASSERT_EQ(f.tensors().size(), 17u);
  for (size_t i = 1; i < f.tensors().size(); ++i) {
    EXPECT_LE(f.tensors()[i - 1].end, f.tensors()[i].begin) << "not in data-offset order";
  }
  const std::vector<float> fv = {0.5f, -1.5f, 2.0f, 3.0f, -4.0f, 0.25f};
  EXPECT_EQ(Values<float>(f, "f32"), fv);
  EXPECT_EQ(f.Find("f32")->shape, (Shape{2, 3}));
  EXPECT_EQ(f.Find("f64")->shape, (Shape{3, 2}));
  EXPECT_EQ(Values<double>(f, "f64"), std::vector<double>(fv.begin(), fv.end()));
  std::vector<float> got;
  for (uint16_t h : Values<uint16_t>(f, "f16")) got.push_back(F16ToF32(h));
  EXPECT_EQ(got, fv);
  got.clear();
  for (uint16_t h : Values<uint16_t>(f, "bf16")) got.push_back(BF16ToF32(h));
  EXPECT_EQ(got, fv);
  EXPECT_EQ(f.Find("bf16")->shape, (Shape{1, 2, 3}));
  got.clear();
  for (uint8_t v : Values<uint8_t>(f, "f8_e4m3")) got.push_back(F8E4M3ToF32(v));
  EXPECT_EQ(got, fv);
  got.clear();
  // e5m2 is the upper byte of an IEEE half.
  for (uint8_t v : Values<uint8_t>(f, "f8_e5m2")) got.push_back(F16ToF32(uint16_t{v} << 8));
  EXPECT_EQ(got, fv);
  EXPECT_EQ(f.Find("f8_e5m2")->dtype, DType::kF8E5M2);

  EXPECT_EQ(Values<int8_t>(f, "i8"), (std::vector<int8_t>{0, 1, -2, 3, -128, 127}));
  EXPECT_EQ(Values<uint8_t>(f, "u8"), (std::vector<uint8_t>{0, 1, 2, 3, 250, 255}));
  EXPECT_EQ(Values<int16_t>(f, "i16"), (std::vector<int16_t>{0, 1, -2, 3, -32768, 32767}));
  EXPECT_EQ(Values<uint16_t>(f, "u16"), (std::vector<uint16_t>{0, 1, 2, 3, 65000, 65535}));
  EXPECT_EQ(Values<int32_t>(f, "i32"), (std::vector<int32_t>{0, 1, -2, 3, INT32_MIN, INT32_MAX}));
  EXPECT_EQ(Values<uint32_t>(f, "u32"),
            (std::vector<uint32_t>{0, 1, 2, 3, 4000000000u, UINT32_MAX}));
  EXPECT_EQ(Values<int64_t>(f, "i64"), (std::vector<int64_t>{0, 1, -2, 3, INT64_MIN, INT64_MAX}));
  EXPECT_EQ(Values<uint64_t>(f, "u64"),
            (std::vector<uint64_t>{0, 1, 2, 3, uint64_t{1} << 40, UINT64_MAX}));
  EXPECT_EQ(Values<uint8_t>(f, "bool"), (std::vector<uint8_t>{1, 0, 1, 1, 0, 1}));
  EXPECT_EQ(f.Find("bool")->dtype, DType::kBool);

  const TensorInfo* scalar = f.Find("scalar");
  ASSERT_NE(scalar, nullptr);
  EXPECT_EQ(scalar->shape.rank(), 0);
  EXPECT_EQ(Values<float>(f, "scalar"), std::vector<float>{7.0f});
  const TensorInfo* empty = f.Find("empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->shape, (Shape{0, 4}));
  EXPECT_EQ(f.View(*empty).NumElements(), 0);
  EXPECT_EQ(f.Find("missing"), nullptr);

  // The in-memory parser sees the same file.
  auto header = ParseSafetensorsHeader(AsBytes(bytes), "golden.safetensors");
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->data_offset, 8 + kGoldenHeaderBytes);
  EXPECT_EQ(header->data_size, 298u);
  EXPECT_EQ(header->tensors.size(), 17u);
}

// Deterministic pseudo-random bytes, a different stream per seed.
std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (uint8_t& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(SafetensorsTest, RoundTripsEveryDTypeAndShape) {
  TempDir dir;
  const std::vector<Shape> shapes = {Shape{3, 5}, Shape{}, Shape{0, 7}, Shape{1, 2, 1, 2, 1, 3},
                                     Shape{17}};
  std::vector<std::vector<uint8_t>> storage;
  std::vector<TensorToWrite> tensors;
  for (int d = 0; d < kNumDTypes; ++d) {
    const auto dtype = static_cast<DType>(d);
    for (size_t s = 0; s < shapes.size(); ++s) {
      const size_t n = static_cast<size_t>(shapes[s].NumElements()) * DTypeSize(dtype);
      storage.push_back(RandomBytes(n, static_cast<uint32_t>(d * 100 + s)));
      tensors.push_back({"t." + std::string(DTypeName(dtype)) + "." + std::to_string(s), dtype,
                         shapes[s], storage.back().data()});
    }
  }
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"k", "v \"q\" é"}};
  const auto path = dir / "all.safetensors";
  ASSERT_TRUE(WriteSafetensors(path, tensors, metadata).ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "all.safetensors.tmp"));

  // Header length: 8 + N is a multiple of 8, the JSON is followed only by spaces.
  const std::string raw = ReadFile(path);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t{static_cast<uint8_t>(raw[i])} << (8 * i);
  EXPECT_EQ((8 + n) % 8, 0u);
  const std::string header = raw.substr(8, n);
  EXPECT_EQ(header.front(), '{');
  const size_t close = header.find_last_of('}');
  EXPECT_EQ(header.find_first_not_of(' ', close + 1), std::string::npos);
  EXPECT_LT(header.size() - close - 1, 8u);

  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->metadata(), metadata);
  ASSERT_EQ((*file)->tensors().size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo* info = (*file)->Find(tensors[i].name);
    ASSERT_NE(info, nullptr) << tensors[i].name;
    EXPECT_EQ(info->dtype, tensors[i].dtype) << tensors[i].name;
    EXPECT_EQ(info->shape, tensors[i].shape) << tensors[i].name;
    const std::span<const uint8_t> bytes = (*file)->Bytes(*info);
    ASSERT_EQ(bytes.size(), storage[i].size()) << tensors[i].name;
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), storage[i].begin())) << tensors[i].name;
  }
}

TEST(SafetensorsTest, ViewsPointIntoTheMapping) {
  TempDir dir;
  std::vector<float> a(4 * 6);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i) * 0.5f - 3.0f;
  std::vector<uint16_t> b(5);
  for (size_t i = 0; i < b.size(); ++i) b[i] = F32ToBF16(static_cast<float>(i) + 0.25f);
  const std::vector<TensorToWrite> tensors = {{"a", DType::kF32, Shape{4, 6}, a.data()},
                                              {"b", DType::kBF16, Shape{5}, b.data()}};
  ASSERT_TRUE(WriteSafetensors(dir / "v.safetensors", tensors).ok());
  auto file = SafetensorsFile::Open(dir / "v.safetensors");
  ASSERT_TRUE(file.ok()) << file.status().ToString();

  const Tensor ta = (*file)->View(*(*file)->Find("a"));
  EXPECT_EQ(ta.dtype(), DType::kF32);
  EXPECT_EQ(ta.shape(), (Shape{4, 6}));
  EXPECT_TRUE(ta.IsContiguous());
  for (int64_t r = 0; r < 4; ++r) {
    for (int64_t c = 0; c < 6; ++c) {
      EXPECT_EQ(ta.data_as<const float>()[r * ta.stride(0) + c], a[r * 6 + c]);
    }
  }
  const Tensor rows = ta.SliceRows(2, 4);
  EXPECT_EQ(rows.data_as<const float>()[0], a[12]);

  const Tensor tb = (*file)->View(*(*file)->Find("b"));
  EXPECT_EQ(tb.dtype(), DType::kBF16);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(BF16ToF32(tb.data_as<const uint16_t>()[i]), static_cast<float>(i) + 0.25f);
  }
  // b follows a directly in the data section.
  EXPECT_EQ(static_cast<const uint8_t*>(tb.data()) - static_cast<const uint8_t*>(ta.data()),
            4 * 6 * 4);
}

TEST(SafetensorsTest, EmptyFileHasNoTensors) {
  TempDir dir;
  ASSERT_TRUE(WriteSafetensors(dir / "e.safetensors", {}).ok());
  auto file = SafetensorsFile::Open(dir / "e.safetensors");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_TRUE((*file)->tensors().empty());
  EXPECT_TRUE((*file)->metadata().empty());
}

TEST(SafetensorsTest, WriterRejectsBadInput) {
  TempDir dir;
  const float x[2] = {1, 2};
  const auto path = dir / "w.safetensors";
  auto write = [&](std::vector<TensorToWrite> t) { return WriteSafetensors(path, t); };

  Status s = write({{"a", DType::kF32, Shape{2}, x}, {"a", DType::kF32, Shape{2}, x}});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("duplicate"), std::string::npos) << s.message();
  s = write({{"__metadata__", DType::kF32, Shape{2}, x}});
  EXPECT_NE(s.message().find("reserved"), std::string::npos) << s.message();
  s = write({{"n", DType::kF32, Shape{2}, nullptr}});
  EXPECT_NE(s.message().find("null"), std::string::npos) << s.message();
  s = write({{"neg", DType::kF32, Shape{-1, 2}, x}});
  EXPECT_NE(s.message().find("negative"), std::string::npos) << s.message();
  s = write({{std::string("bad\xff"), DType::kF32, Shape{2}, x}});
  EXPECT_NE(s.message().find("UTF-8"), std::string::npos) << s.message();
  EXPECT_FALSE(std::filesystem::exists(path));

  s = WriteSafetensors(dir / "no_such_dir" / "w.safetensors", {});
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_NE(s.message().find("no_such_dir"), std::string::npos) << s.message();
}

TEST(SafetensorsTest, OpenReportsMissingFileAndDirectory) {
  TempDir dir;
  auto missing = SafetensorsFile::Open(dir / "nope.safetensors");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.safetensors"), std::string::npos);
  auto is_dir = SafetensorsFile::Open(dir.path());
  EXPECT_EQ(is_dir.status().code(), ErrorCode::kIoError);
  EXPECT_NE(is_dir.status().message().find("directory"), std::string::npos);
}

}  // namespace
}  // namespace dsi::loader
