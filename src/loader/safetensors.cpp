// safetensors reading: header parsing and validation (also the fuzzing entry point), the
// mmapped SafetensorsFile, and Checkpoint, which joins the shards of a model directory.
#include "loader/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

namespace dsi::loader {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// A bounded copy of untrusted text for an error message: control and non-ASCII bytes
// become \xNN, and long text is cut with "...".
std::string Printable(std::string_view s, size_t max_len = 160) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= max_len) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Quote(std::string_view s) {
  std::string out(1, '"');  // (not `"\"" + ...`: GCC 12 warns falsely on it, -Wrestrict)
  out += Printable(s);
  out += '"';
  return out;
}

// "a string \"x\"", "the number 2.5", "an array": never dumps nested values (a deeply
// nested value would make the recursive serializer overflow the stack).
std::string Describe(const Json& j) {
  switch (j.type()) {
    case Json::value_t::string:
      return "the string " + Quote(j.get_ref<const std::string&>());
    case Json::value_t::number_integer:
      // Non-negative integers parse as number_unsigned, so a signed 0 was written "-0".
      return j.get<int64_t>() == 0 ? "-0" : j.dump();
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
    case Json::value_t::boolean:
      return j.dump();
    case Json::value_t::null:
      return "null";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return j.type_name();
  }
}

std::string DimsToString(const std::vector<uint64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

std::string RangeToString(uint64_t begin, uint64_t end) {
  std::string s(1, '[');
  s += std::to_string(begin);
  s += ", ";
  s += std::to_string(end);
  s += ']';
  return s;
}

Status FileError(ErrorCode code, std::string_view file, const std::string& what) {
  return Status(code, std::string(file) + ": " + what);
}

Status TensorError(ErrorCode code, std::string_view file, std::string_view tensor,
                   const std::string& what) {
  return Status(code, std::string(file) + ": tensor " + Quote(tensor) + ": " + what);
}

// Builds the DOM of a JSON object from nlohmann's SAX events, stopping at the first problem.
// Why not Json::parse: nlohmann keeps one of two duplicate keys silently (the format forbids
// them), its callback parser rescans the parent object at every object end (quadratic in the
// tensor count), and nothing there bounds the nesting depth (memory).
class JsonObjectBuilder {
 public:
  // The header nests 3 levels (header, entry, shape); anything far deeper is not ours.
  static constexpr size_t kMaxDepth = 64;

  Json& root() { return root_; }
  const std::string& error() const { return error_; }

  // The SAX interface: return false to stop parsing.
  bool null() { return Scalar(nullptr); }
  bool boolean(bool v) { return Scalar(v); }
  bool number_integer(Json::number_integer_t v) { return Scalar(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return Scalar(v); }
  bool number_float(Json::number_float_t v, const std::string&) { return Scalar(v); }
  bool string(std::string& v) { return Scalar(std::move(v)); }
  bool binary(Json::binary_t&) { return Fail("binary values are not JSON"); }
  bool start_object(size_t) { return Open(Json::object()); }
  bool start_array(size_t) { return Open(Json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(std::string& k) {
    Json& object = *open_.back();
    if (object.contains(k)) {
      return Fail(open_.size() == 1 ? "lists " + Quote(k) + " twice (duplicate name)"
                                    : "has the key " + Quote(k) + " twice in the entry of " +
                                          Quote(top_key_) + " (duplicate key)");
    }
    if (open_.size() == 1) top_key_ = k;
    key_ = std::move(k);
    return true;
  }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 9: ...".
    std::string_view detail = e.what();
    if (const size_t bracket = detail.find("] "); bracket != std::string_view::npos) {
      detail.remove_prefix(bracket + 2);
    }
    return Fail("is not valid UTF-8 JSON: " + Printable(detail, 240));
  }

 private:
  // Places v in the innermost open container (or as the root) and returns where it is.
  Json* Add(Json v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();  // stays valid: nothing is added to parent until this closes
    }
    return &parent.get_ref<Json::object_t&>().emplace(key_, std::move(v)).first->second;
  }
  bool Scalar(Json v) {
    Add(std::move(v));
    return true;
  }
  bool Open(Json v) {
    if (open_.size() >= kMaxDepth) {
      return Fail("nests deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    open_.push_back(Add(std::move(v)));
    return true;
  }
  bool Close() {
    open_.pop_back();
    return true;
  }
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  Json root_;
  std::vector<Json*> open_;  // the containers not yet closed, outermost first
  std::string key_;          // key of the next value in the innermost open object
  std::string top_key_;      // most recent key of the outermost object
  std::string error_;
};

// Parses JSON text that must be an object; `what` names it in errors ("header", "index").
Result<Json> ParseJsonObject(std::string_view text, std::string_view file, std::string_view what) {
  auto fail = [&](const std::string& message) {
    return FileError(ErrorCode::kCorrupt, file, std::string(what) + " " + message);
  };
  // Leading JSON whitespace is accepted, as the reference reader does.
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') {
    return fail("is not a JSON object (it must start with '{')");
  }
  // nlohmann stops at a NUL byte as if the input ended there, so "{}\0junk" would pass; a
  // raw NUL is never valid JSON (inside strings it must be escaped).
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return fail("is not valid UTF-8 JSON: NUL byte at offset " + std::to_string(nul));
  }
  JsonObjectBuilder builder;
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const Json::exception& e) {
    return fail("is not valid UTF-8 JSON: " + Printable(e.what(), 240));
  }
  if (!ok) return fail(builder.error());
  if (!builder.root().is_object()) {
    return fail("is not a JSON object, found " + Describe(builder.root()));
  }
  return std::move(builder.root());
}

std::string KnownDTypes() {
  std::string s;
  for (int i = 0; i < kNumDTypes; ++i) {
    if (i > 0) s += ", ";
    s += DTypeName(static_cast<DType>(i));
  }
  return s;
}

Status ParseMetadata(const Json& value, std::string_view file,
                     std::map<std::string, std::string>* metadata) {
  if (!value.is_object()) {
    return FileError(
        ErrorCode::kCorrupt, file,
        "\"__metadata__\" must be an object of string values, found " + Describe(value));
  }
  for (const auto& [key, v] : value.items()) {
    if (!v.is_string()) {
      return FileError(ErrorCode::kCorrupt, file,
                       "\"__metadata__\" must map strings to strings, but key " + Quote(key) +
                           " holds " + Describe(v));
    }
    (*metadata)[key] = v.get<std::string>();
  }
  return Status::Ok();
}

// One non-metadata header entry: {"dtype": str, "shape": [uint...], "data_offsets": [b, e]}.
// Unknown extra keys are ignored, as the reference reader does.
Result<TensorInfo> ParseEntry(const std::string& name, const Json& entry, std::string_view file,
                              uint64_t data_size) {
  auto fail = [&](ErrorCode code, const std::string& what) {
    return TensorError(code, file, name, what);
  };
  if (!entry.is_object()) {
    return fail(ErrorCode::kCorrupt,
                "entry must be an object with \"dtype\", \"shape\" and \"data_offsets\", found " +
                    Describe(entry));
  }
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!entry.contains(field)) {
      return fail(ErrorCode::kCorrupt, std::string("entry is missing \"") + field + "\"");
    }
  }
  const Json& dtype_json = *entry.find("dtype");
  const Json& shape_json = *entry.find("shape");
  const Json& offsets_json = *entry.find("data_offsets");

  if (!dtype_json.is_string()) {
    return fail(ErrorCode::kCorrupt, "\"dtype\" must be a string, found " + Describe(dtype_json));
  }
  const std::optional<DType> dtype = ParseDType(dtype_json.get_ref<const std::string&>());
  if (!dtype) {
    return fail(ErrorCode::kUnsupported, "unknown dtype " +
                                             Quote(dtype_json.get_ref<const std::string&>()) +
                                             " (this engine reads " + KnownDTypes() + ")");
  }

  if (!shape_json.is_array()) {
    return fail(ErrorCode::kCorrupt, "\"shape\" must be an array of non-negative integers, found " +
                                         Describe(shape_json));
  }
  std::vector<uint64_t> dims;
  for (size_t i = 0; i < shape_json.size(); ++i) {
    const Json& d = shape_json[i];
    // (Messages are built only on failure: headers hold up to ~10^5 entries.)
    auto where = [&] { return "shape dim " + std::to_string(i) + " is " + Describe(d); };
    if (!d.is_number_integer()) {
      return fail(ErrorCode::kCorrupt, where() + "; dims must be non-negative integers");
    }
    if (!d.is_number_unsigned()) return fail(ErrorCode::kCorrupt, where() + " (negative)");
    const uint64_t v = d.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return fail(ErrorCode::kCorrupt, where() + " (too large)");
    }
    dims.push_back(v);
  }
  // Product of dims × dtype size; a zero dim makes it 0 whatever the others are.
  uint64_t num_bytes = DTypeSize(*dtype);
  bool overflow = false;
  for (uint64_t d : dims) overflow |= __builtin_mul_overflow(num_bytes, d, &num_bytes);
  if (std::find(dims.begin(), dims.end(), 0) != dims.end()) {
    num_bytes = 0;
    overflow = false;
  }
  auto shape_text = [&] {
    return "shape " + DimsToString(dims) + " of " + std::string(DTypeName(*dtype));
  };
  if (overflow) {
    return fail(ErrorCode::kCorrupt, shape_text() + " is too large (byte count overflows 64 bits)");
  }

  if (!offsets_json.is_array() || offsets_json.size() != 2 ||
      !offsets_json[0].is_number_unsigned() || !offsets_json[1].is_number_unsigned()) {
    std::string found = Describe(offsets_json);
    if (offsets_json.is_array()) {
      found = "an array of " + std::to_string(offsets_json.size()) + " element(s)";
      for (const Json& v : offsets_json) {
        if (!v.is_number_unsigned()) {
          found += " including " + Describe(v);
          break;
        }
      }
    }
    return fail(ErrorCode::kCorrupt,
                "\"data_offsets\" must be [begin, end] with non-negative integers, found " + found);
  }
  const uint64_t begin = offsets_json[0].get<uint64_t>();
  const uint64_t end = offsets_json[1].get<uint64_t>();
  auto offsets_text = [&] { return "data_offsets " + RangeToString(begin, end); };
  if (begin > end) return fail(ErrorCode::kCorrupt, offsets_text() + ": begin is after end");
  if (end - begin != num_bytes) {
    return fail(ErrorCode::kCorrupt, offsets_text() + " hold " + std::to_string(end - begin) +
                                         " bytes but " + shape_text() + " needs " +
                                         std::to_string(num_bytes));
  }
  if (end > data_size) {
    return fail(ErrorCode::kCorrupt, offsets_text() + " run past the end of the data section (" +
                                         std::to_string(data_size) +
                                         " bytes; is the file truncated?)");
  }
  if (dims.size() > static_cast<size_t>(kMaxRank)) {
    return fail(ErrorCode::kUnsupported, "rank " + std::to_string(dims.size()) +
                                             " exceeds this engine's maximum of " +
                                             std::to_string(kMaxRank));
  }
  TensorInfo info;
  info.name = name;
  info.dtype = *dtype;
  info.shape = Shape::FromRange(dims.begin(), dims.end());
  info.begin = begin;
  info.end = end;
  return info;
}

// Sorted by offset, the byte ranges must tile the data section exactly: no overlap, no gap,
// nothing left over at the end (the reference reader rejects all three).
Status CheckCoverage(std::vector<TensorInfo>& tensors, uint64_t data_size, std::string_view file) {
  std::sort(tensors.begin(), tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t pos = 0;
  const TensorInfo* prev = nullptr;
  for (const TensorInfo& t : tensors) {
    if (t.begin < pos) {
      return TensorError(ErrorCode::kCorrupt, file, t.name,
                         "data_offsets " + RangeToString(t.begin, t.end) + " overlap tensor " +
                             Quote(prev->name) + " at " + RangeToString(prev->begin, prev->end));
    }
    if (t.begin > pos) {
      return TensorError(ErrorCode::kCorrupt, file, t.name,
                         "gap in the data section: bytes [" + std::to_string(pos) + ", " +
                             std::to_string(t.begin) + ") before this tensor belong to no tensor");
    }
    pos = t.end;
    prev = &t;
  }
  if (pos != data_size) {
    return FileError(ErrorCode::kCorrupt, file,
                     "the data section has " + std::to_string(data_size) +
                         " bytes but the tensors cover only " + std::to_string(pos) + "; " +
                         std::to_string(data_size - pos) +
                         " trailing bytes belong to no tensor (gap at the end)");
  }
  return Status::Ok();
}

}  // namespace

Result<SafetensorsHeader> ParseSafetensorsHeader(std::span<const uint8_t> bytes,
                                                 std::string_view file) {
  if (bytes.size() < 8) {
    return FileError(ErrorCode::kCorrupt, file,
                     "file is " + std::to_string(bytes.size()) +
                         " bytes, too short for the 8-byte header length (truncated, or not a "
                         "safetensors file)");
  }
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  if (n == 0) return FileError(ErrorCode::kCorrupt, file, "header length is 0");
  if (n > kMaxSafetensorsHeaderBytes) {
    return FileError(ErrorCode::kCorrupt, file,
                     "header length " + std::to_string(n) + " exceeds the limit of " +
                         std::to_string(kMaxSafetensorsHeaderBytes) +
                         " bytes (not a safetensors file?)");
  }
  if (n > bytes.size() - 8) {
    return FileError(ErrorCode::kCorrupt, file,
                     "header length " + std::to_string(n) + " runs past the end of the file (" +
                         std::to_string(bytes.size()) + " bytes; is the file truncated?)");
  }
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + 8, n);
  DSI_ASSIGN_OR_RETURN(Json root, ParseJsonObject(text, file, "header"));

  SafetensorsHeader header;
  header.data_offset = 8 + n;
  header.data_size = bytes.size() - header.data_offset;
  for (const auto& [key, value] : root.items()) {
    if (key == "__metadata__") {
      if (value.is_null()) continue;  // the reference reader treats null as absent
      DSI_RETURN_IF_ERROR(ParseMetadata(value, file, &header.metadata));
      continue;
    }
    DSI_ASSIGN_OR_RETURN(TensorInfo info, ParseEntry(key, value, file, header.data_size));
    header.tensors.push_back(std::move(info));
  }
  DSI_RETURN_IF_ERROR(CheckCoverage(header.tensors, header.data_size, file));
  return header;
}

// ---------------------------------------------------------------------------------------
// SafetensorsFile

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const fs::path& path) {
  const std::string name = path.string();
  // O_NONBLOCK: opening a FIFO by mistake must not hang (regular files ignore the flag).
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return NotFound(name + ": no such file");
    return IoError(name + ": cannot open: " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const bool is_dir = S_ISDIR(st.st_mode);
    ::close(fd);
    return IoError(name +
                   (is_dir ? ": is a directory, not a .safetensors file" : ": not a regular file"));
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size < 8) {
    // Too small to map usefully (and mmap of 0 bytes fails); let the parser word the error.
    uint8_t small[8];
    const ssize_t got = ::pread(fd, small, size, 0);
    ::close(fd);
    if (got != static_cast<ssize_t>(size)) return IoError(name + ": read failed");
    return ParseSafetensorsHeader(std::span<const uint8_t>(small, size), name).status();
  }
  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);
  if (mapping == MAP_FAILED) {
    return IoError(name + ": mmap of " + std::to_string(size) +
                   " bytes failed: " + std::strerror(map_errno));
  }
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->mapping_ = mapping;
  file->mapping_size_ = size;
  const auto* bytes = static_cast<const uint8_t*>(mapping);
  DSI_ASSIGN_OR_RETURN(SafetensorsHeader header,
                       ParseSafetensorsHeader(std::span<const uint8_t>(bytes, size), name));
  file->data_ = bytes + header.data_offset;
  file->tensors_ = std::move(header.tensors);
  file->metadata_ = std::move(header.metadata);
  for (size_t i = 0; i < file->tensors_.size(); ++i) file->index_[file->tensors_[i].name] = i;
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
}

const TensorInfo* SafetensorsFile::Find(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::span<const uint8_t> SafetensorsFile::Bytes(const TensorInfo& info) const {
  const auto* mapping_end = static_cast<const uint8_t*>(mapping_) + mapping_size_;
  DSI_CHECK(info.begin <= info.end && info.end <= static_cast<uint64_t>(mapping_end - data_))
      << "tensor " << info.name << " is not from " << path_.string();
  return {data_ + info.begin, static_cast<size_t>(info.end - info.begin)};
}

Tensor SafetensorsFile::View(const TensorInfo& info) const {
  const std::span<const uint8_t> bytes = Bytes(info);
  // The mapping is PROT_READ: the const_cast only fits Tensor's untyped pointer.
  return Tensor(const_cast<uint8_t*>(bytes.data()), info.dtype, info.shape);
}

// ---------------------------------------------------------------------------------------
// Checkpoint

namespace {

constexpr std::string_view kIndexName = "model.safetensors.index.json";
constexpr std::string_view kSingleName = "model.safetensors";

// A shard named by the index must stay inside the model directory.
bool IsSafeShardName(const std::string& shard) {
  if (shard.empty()) return false;
  const fs::path p(shard);
  if (p.is_absolute()) return false;
  for (const fs::path& part : p) {
    if (part == "..") return false;
  }
  return true;
}

Result<std::string> ReadSmallFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return IoError(path.string() + ": read failed");
  return s.str();
}

}  // namespace

Result<Checkpoint> Checkpoint::Open(const fs::path& dir_or_file) {
  std::error_code ec;
  const fs::file_status st = fs::status(dir_or_file, ec);
  if (!fs::exists(st)) {
    return NotFound(dir_or_file.string() +
                    ": no such file or directory (give a model directory holding "
                    "model.safetensors or model.safetensors.index.json, or a .safetensors file)");
  }
  Checkpoint ckpt;
  if (!fs::is_directory(st)) {
    ckpt.dir_ = dir_or_file.parent_path();
    DSI_ASSIGN_OR_RETURN(auto file, SafetensorsFile::Open(dir_or_file));
    DSI_RETURN_IF_ERROR(ckpt.AddFile(std::move(file)));
    return ckpt;
  }
  ckpt.dir_ = dir_or_file;
  const fs::path index_path = dir_or_file / kIndexName;
  if (fs::exists(index_path, ec)) {
    DSI_RETURN_IF_ERROR(ckpt.OpenIndexed(index_path));
    return ckpt;
  }
  const fs::path single = dir_or_file / kSingleName;
  if (fs::exists(single, ec)) {
    DSI_ASSIGN_OR_RETURN(auto file, SafetensorsFile::Open(single));
    DSI_RETURN_IF_ERROR(ckpt.AddFile(std::move(file)));
    return ckpt;
  }
  std::vector<fs::path> shards;
  for (fs::directory_iterator it(dir_or_file, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".safetensors" && it->is_regular_file(ec)) {
      shards.push_back(it->path());
    }
  }
  if (ec) return IoError(dir_or_file.string() + ": cannot list the directory: " + ec.message());
  if (shards.empty()) {
    return NotFound(dir_or_file.string() + ": no " + std::string(kIndexName) + ", " +
                    std::string(kSingleName) +
                    " or other *.safetensors file here; is this a Hugging Face model directory?");
  }
  std::sort(shards.begin(), shards.end());
  for (const fs::path& shard : shards) {
    DSI_ASSIGN_OR_RETURN(auto file, SafetensorsFile::Open(shard));
    DSI_RETURN_IF_ERROR(ckpt.AddFile(std::move(file)));
  }
  return ckpt;
}

Status Checkpoint::AddFile(std::unique_ptr<SafetensorsFile> file) {
  const size_t file_index = files_.size();
  for (const TensorInfo& info : file->tensors()) {
    const auto [it, inserted] = where_.try_emplace(info.name, file_index, &info);
    if (!inserted) {
      return Corrupt(file->path().string() + ": tensor " + Quote(info.name) + " is also in " +
                     files_[it->second.first]->path().string() +
                     " (a tensor may appear in only one shard)");
    }
  }
  files_.push_back(std::move(file));
  return Status::Ok();
}

Status Checkpoint::OpenIndexed(const fs::path& index_path) {
  const std::string index_name = index_path.string();
  DSI_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(index_path));
  DSI_ASSIGN_OR_RETURN(Json root, ParseJsonObject(text, index_name, "index"));
  const auto weight_map = root.find("weight_map");
  if (weight_map == root.end() || !weight_map->is_object()) {
    return Corrupt(index_name +
                   ": \"weight_map\" must be an object mapping tensor names to shard "
                   "files, found " +
                   (weight_map == root.end() ? "nothing" : Describe(*weight_map)));
  }
  if (weight_map->empty()) return Corrupt(index_name + ": \"weight_map\" is empty");
  // Shard -> the first tensor mapped to it (to name in errors); std::map keeps shards sorted.
  std::map<std::string, std::string> shards;
  for (const auto& [tensor, shard] : weight_map->items()) {
    if (!shard.is_string()) {
      return Corrupt(index_name + ": weight_map entry of tensor " + Quote(tensor) +
                     " must be a shard file name, found " + Describe(shard));
    }
    const auto& shard_name = shard.get_ref<const std::string&>();
    if (!IsSafeShardName(shard_name)) {
      return Corrupt(index_name + ": weight_map maps tensor " + Quote(tensor) + " to " +
                     Quote(shard_name) + ", which is not a file inside the model directory");
    }
    shards.try_emplace(shard_name, tensor);
  }
  for (const auto& [shard_name, tensor] : shards) {
    const fs::path shard_path = dir_ / shard_name;
    std::error_code ec;
    if (!fs::exists(shard_path, ec)) {
      return NotFound(index_name + ": shard " + Quote(shard_name) + " (holding tensor " +
                      Quote(tensor) + ", among others) is missing from " + dir_.string() +
                      "; is the download incomplete?");
    }
    DSI_ASSIGN_OR_RETURN(auto file, SafetensorsFile::Open(shard_path));
    DSI_RETURN_IF_ERROR(AddFile(std::move(file)));
  }
  for (const auto& [tensor, shard] : weight_map->items()) {
    const auto it = where_.find(tensor);
    const auto& shard_name = shard.get_ref<const std::string&>();
    if (it == where_.end()) {
      return Corrupt(index_name + ": weight_map maps tensor " + Quote(tensor) + " to shard " +
                     Quote(shard_name) + ", but that shard has no such tensor");
    }
    const fs::path& actual = files_[it->second.first]->path();
    if (actual != dir_ / shard_name) {
      return Corrupt(index_name + ": weight_map maps tensor " + Quote(tensor) + " to shard " +
                     Quote(shard_name) + ", but it is in " + actual.string());
    }
  }
  return Status::Ok();
}

std::vector<std::string> Checkpoint::TensorNames() const {
  std::vector<std::string> names;
  names.reserve(where_.size());
  for (const auto& [name, where] : where_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

const TensorInfo* Checkpoint::Find(std::string_view name) const {
  const auto it = where_.find(name);
  return it == where_.end() ? nullptr : it->second.second;
}

const SafetensorsFile* Checkpoint::FileOf(std::string_view name) const {
  const auto it = where_.find(name);
  return it == where_.end() ? nullptr : files_[it->second.first].get();
}

Result<Tensor> Checkpoint::Get(std::string_view name) const {
  const auto it = where_.find(name);
  if (it == where_.end()) {
    return NotFound("tensor " + Quote(name) + " not found in checkpoint " + dir_.string() + " (" +
                    std::to_string(where_.size()) + " tensors)");
  }
  return files_[it->second.first]->View(*it->second.second);
}

}  // namespace dsi::loader
