// Broken safetensors files made by the test itself: every format violation must come back as
// an error naming the file, the tensor and what is wrong; random damage must never crash.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "loader/safetensors.h"
#include "testing/test_util.h"

namespace dsi::loader {
namespace {

using dsi::testing::TempDir;
using dsi::testing::WriteFile;

constexpr char kName[] = "bad.safetensors";

std::string Le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

// 8-byte length + header + data, the header not padded (padding is optional for readers).
std::string Raw(std::string_view header, std::string_view data) {
  return Le64(header.size()) + std::string(header) + std::string(data);
}

// a: F32 [2, 2] at [0, 16], b: BF16 [4] at [16, 24].
constexpr char kGoodHeader[] = R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                               R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[16,24]}})";
const std::string kGoodData(24, '\x11');

class CorruptTest : public ::testing::Test {
 protected:
  // Open() must fail with `code` and a message holding the file name and every keyword; the
  // in-memory parser must give the same status.
  void ExpectError(const std::string& bytes, ErrorCode code,
                   const std::vector<std::string>& keywords) {
    const auto path = dir_ / kName;
    WriteFile(path, bytes);
    auto file = SafetensorsFile::Open(path);
    ASSERT_FALSE(file.ok()) << "accepted a broken file";
    const Status& s = file.status();
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find(kName), std::string::npos) << s.message();
    for (const std::string& k : keywords) {
      EXPECT_NE(s.message().find(k), std::string::npos)
          << "missing \"" << k << "\" in: " << s.message();
    }
    auto parsed = ParseSafetensorsHeader(
        {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, path.string());
    EXPECT_EQ(parsed.status().message(), s.message());
  }
  void ExpectCorrupt(std::string_view header, std::string_view data,
                     const std::vector<std::string>& keywords) {
    ExpectError(Raw(header, data), ErrorCode::kCorrupt, keywords);
  }
  TempDir dir_;
};

TEST_F(CorruptTest, GoodFileIsAccepted) {
  const std::string bytes = Raw(kGoodHeader, kGoodData);
  auto h =
      ParseSafetensorsHeader({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, kName);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->tensors.size(), 2u);
}

// Borderline files the reference reader (safetensors 0.8.0) accepts, so we do too.
TEST_F(CorruptTest, AcceptsWhatTheReferenceAccepts) {
  for (const std::string& bytes : {
           Raw(" \t\r\n{}", ""),                 // leading JSON whitespace
           Raw(R"({"__metadata__":null})", ""),  // null metadata = none
           Raw(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":[1]}})",
               std::string(4, 0)),  // unknown keys are ignored
           Raw(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
               R"("z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
               R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
               std::string(8, 0)),  // an empty tensor between two others
           Raw(R"({"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", "x"),  // empty name
       }) {
    auto h = ParseSafetensorsHeader({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
                                    kName);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
  }
}

TEST_F(CorruptTest, TruncatedAtEveryKindOfCutPoint) {
  const std::string good = Raw(kGoodHeader, kGoodData);
  const size_t header_end = 8 + std::string_view(kGoodHeader).size();
  ExpectError(good.substr(0, 0), ErrorCode::kCorrupt, {"0 bytes", "too short"});
  ExpectError(good.substr(0, 5), ErrorCode::kCorrupt, {"5 bytes", "too short"});
  for (size_t cut : {size_t{8}, size_t{9}, header_end / 2, header_end - 1}) {
    ExpectError(good.substr(0, cut), ErrorCode::kCorrupt,
                {"header length", "past the end of the file", "truncated"});
  }
  // Inside the data: a's and then b's bytes run past the end of the data section.
  ExpectError(good.substr(0, header_end + 5), ErrorCode::kCorrupt,
              {"tensor \"a\"", "past the end of the data section", "truncated"});
  ExpectError(good.substr(0, good.size() - 1), ErrorCode::kCorrupt,
              {"tensor \"b\"", "data_offsets [16, 24]", "past the end", "truncated"});
}

TEST_F(CorruptTest, BadHeaderLength) {
  ExpectError(Le64(0) + "{}", ErrorCode::kCorrupt, {"header length is 0"});
  ExpectError(Le64(100'000'001) + "{}", ErrorCode::kCorrupt, {"100000001", "limit"});
  ExpectError(Le64(~uint64_t{0}) + "{}", ErrorCode::kCorrupt, {"limit"});
  ExpectError(Le64(1000) + std::string(kGoodHeader) + kGoodData, ErrorCode::kCorrupt,
              {"header length 1000", "past the end of the file"});
}

TEST_F(CorruptTest, HeaderNotJsonObject) {
  ExpectCorrupt(R"({"a":{"dtype":"F32",)", "", {"not valid UTF-8 JSON"});
  ExpectCorrupt(std::string(kGoodHeader) + "x", kGoodData, {"not valid UTF-8 JSON"});
  ExpectCorrupt("{\"\xff\xfe\":1}", "", {"not valid UTF-8 JSON"});
  ExpectCorrupt("[1, 2]", "", {"not a JSON object"});
  ExpectCorrupt("\xef\xbb\xbf{}", "", {"not a JSON object"});  // a byte-order mark
  ExpectCorrupt(" \n 7", "", {"not a JSON object"});
  ExpectCorrupt(std::string("{}\0\0", 4), "", {"not valid UTF-8 JSON"});
  // Deep nesting is refused early (bounded memory), not parsed.
  ExpectCorrupt("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}", "",
                {"nests deeper than"});
}

TEST_F(CorruptTest, MalformedEntries) {
  ExpectCorrupt(R"({"w":5})", "", {"tensor \"w\"", "must be an object", "5"});
  ExpectCorrupt(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", std::string(4, 0),
                {"tensor \"w\"", "missing \"dtype\""});
  ExpectCorrupt(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", std::string(4, 0),
                {"tensor \"w\"", "missing \"shape\""});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[1]}})", std::string(4, 0),
                {"tensor \"w\"", "missing \"data_offsets\""});
  ExpectCorrupt(R"({"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})", std::string(4, 0),
                {"tensor \"w\"", "\"dtype\" must be a string"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})", std::string(4, 0),
                {"tensor \"w\"", "\"shape\" must be an array"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[1,-2],"data_offsets":[0,4]}})", std::string(4, 0),
                {"tensor \"w\"", "shape dim 1 is -2", "negative"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,4]}})", std::string(4, 0),
                {"tensor \"w\"", "shape dim 0 is 2.5", "integers"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}})", std::string(4, 0),
                {"tensor \"w\"", "shape dim 0 is an array"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}})", "",
                {"tensor \"w\"", "shape dim 0 is -0"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", std::string(4, 0),
                {"tensor \"w\"", "[begin, end]", "1 element"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", std::string(4, 0),
                {"tensor \"w\"", "[begin, end]", "-4"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":{"a":1}}})", std::string(4, 0),
                {"tensor \"w\"", "[begin, end]", "an object"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", std::string(4, 0),
                {"tensor \"w\"", "begin is after end"});
}

TEST_F(CorruptTest, UnknownDTypeIsUnsupported) {
  ExpectError(Raw(R"({"model.layers.0.w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}})",
                  std::string(1, 0)),
              ErrorCode::kUnsupported, {"tensor \"model.layers.0.w\"", "unknown dtype \"F4\""});
}

TEST_F(CorruptTest, RankAboveEngineLimitIsUnsupported) {
  ExpectError(Raw(R"({"w":{"dtype":"U8","shape":[1,1,1,1,1,1,2],"data_offsets":[0,2]}})",
                  std::string(2, 0)),
              ErrorCode::kUnsupported, {"tensor \"w\"", "rank 7"});
}

TEST_F(CorruptTest, SizeMismatchAndOverflow) {
  ExpectCorrupt(R"({"model.layers.0.mlp.up_proj.weight":)"
                R"({"dtype":"BF16","shape":[8,8],"data_offsets":[0,100]}})",
                std::string(100, 0),
                {"tensor \"model.layers.0.mlp.up_proj.weight\": data_offsets [0, 100] hold 100 "
                 "bytes but shape [8, 8] of BF16 needs 128"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,0]}})", "",
                {"tensor \"w\"", "overflows"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,0]}})", "",
                {"tensor \"w\"", "too large"});
  // A zero dim makes the tensor empty however large the other dims are.
  const std::string ok =
      Raw(R"({"w":{"dtype":"F32","shape":[0,4611686018427387904],"data_offsets":[0,0]}})", "");
  EXPECT_TRUE(
      ParseSafetensorsHeader({reinterpret_cast<const uint8_t*>(ok.data()), ok.size()}, kName).ok());
}

TEST_F(CorruptTest, OffsetsOutOfRangeOverlappingOrLeavingGaps) {
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}})", std::string(8, 0),
                {"tensor \"w\"", "data_offsets [16, 24]", "past the end of the data section"});
  ExpectCorrupt(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                std::string(16, 0), {"tensor \"b\"", "overlap", "tensor \"a\"", "[0, 16]"});
  ExpectCorrupt(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}})",
                std::string(24, 0), {"tensor \"b\"", "gap", "[8, 16)"});
  ExpectCorrupt(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", std::string(16, 0),
                {"tensor \"a\"", "gap", "[0, 8)"});
  ExpectCorrupt(kGoodHeader, kGoodData + "xyz", {"27 bytes", "cover only 24", "trailing"});
  ExpectCorrupt("{}", "junk", {"4 trailing bytes"});
}

TEST_F(CorruptTest, DuplicateNamesAndKeys) {
  ExpectCorrupt(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                std::string(8, 0), {"\"w\" twice", "duplicate"});
  ExpectCorrupt(R"({"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})",
                std::string(4, 0), {"\"w\"", "\"dtype\" twice", "duplicate key"});
}

TEST_F(CorruptTest, MetadataMustMapStringsToStrings) {
  ExpectCorrupt(R"({"__metadata__":{"format":"pt","n":1}})", "",
                {"__metadata__", "key \"n\"", "1"});
  ExpectCorrupt(R"({"__metadata__":["pt"]})", "", {"__metadata__", "an array"});
  ExpectCorrupt(R"({"__metadata__":{"x":{"y":"z"}}})", "", {"__metadata__", "an object"});
}

// [NOTE: robustness] Thousands of damaged copies of a valid file (bytes of the length prefix
// and header overwritten, or the file cut short), fixed seed. Each must parse or fail cleanly;
// accepted ones must still describe tensors inside the file. Also runs under ASan/UBSan.
TEST_F(CorruptTest, RandomDamageNeverCrashes) {
  const std::string good =
      Raw(R"({"__metadata__":{"format":"pt"},"emb":{"dtype":"BF16","shape":[3,4],)"
          R"("data_offsets":[0,24]},"n":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},)"
          R"("z":{"dtype":"I8","shape":[0],"data_offsets":[32,32]}})",
          std::string(32, '\x42'));
  const size_t header_end = good.size() - 32;
  const std::string json_chars = "{}[]\":,0123456789-.e ";
  std::mt19937 rng(20240611);
  int accepted = 0;
  int rejected = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    std::string bytes = good;
    const int kind = static_cast<int>(rng() % 4);
    if (kind == 3) {
      bytes.resize(rng() % bytes.size());
    } else {
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) {
        // Mostly inside the JSON, sometimes the length prefix.
        const size_t pos = rng() % 10 == 0 ? rng() % 8 : 8 + rng() % (header_end - 8);
        bytes[pos] = kind == 0   ? static_cast<char>(rng())
                     : kind == 1 ? json_chars[rng() % json_chars.size()]
                                 : static_cast<char>(bytes[pos] ^ (1 << (rng() % 8)));
      }
    }
    const std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes.data()),
                                        bytes.size());
    auto h = ParseSafetensorsHeader(span, kName);
    if (!h.ok()) {
      ++rejected;
      EXPECT_NE(h.status().message().find(kName), std::string::npos) << h.status().message();
      continue;
    }
    ++accepted;
    uint64_t covered = 0;
    for (const TensorInfo& t : h->tensors) {
      EXPECT_LE(t.end, h->data_size);
      EXPECT_EQ(t.end - t.begin, static_cast<uint64_t>(t.shape.NumElements()) * DTypeSize(t.dtype));
      covered += t.end - t.begin;
    }
    EXPECT_EQ(covered, h->data_size);
    EXPECT_EQ(h->data_offset + h->data_size, bytes.size());
    if (iter % 100 == 0) {  // the mmap path too, now and then
      WriteFile(dir_ / kName, bytes);
      EXPECT_TRUE(SafetensorsFile::Open(dir_ / kName).ok());
    }
  }
  // The damage must actually reach the validator both ways.
  EXPECT_GT(rejected, 1000);
  EXPECT_GT(accepted, 10);
}

}  // namespace
}  // namespace dsi::loader
