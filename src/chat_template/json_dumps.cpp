// Python json.dumps over template values: the `tojson` filter transformers installs
// (ensure_ascii=False, indent/separators/sort_keys passed through). Key order is the
// dict's insertion order unless sort_keys is set, exactly as Python.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "chat_template/pystr.h"
#include "chat_template/value.h"

namespace dsi::chat_template {
namespace {

constexpr int kMaxDepth = 512;

void AppendJsonString(std::string& out, std::string_view s, bool ensure_ascii) {
  out.push_back('"');
  for (char32_t c : pystr::Decode(s)) {
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    char buf[16];
    if (c < 0x20 || (ensure_ascii && c >= 0x7F)) {
      if (c >= 0x10000) {
        const char32_t v = c - 0x10000;
        std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                      static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
      } else {
        std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      }
      out += buf;
    } else {
      pystr::AppendUtf8(out, c);
    }
  }
  out.push_back('"');
}

std::string FloatJson(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "Infinity" : "-Infinity";
  return pystr::FloatRepr(f);
}

// Dict keys: str as is; int/float/bool/None converted the way json.dumps does.
Result<std::string> KeyString(const Value& k) {
  switch (k.kind()) {
    case ValueKind::kString:
      return k.str();
    case ValueKind::kBool:
      return std::string(k.as_bool() ? "true" : "false");
    case ValueKind::kInt:
      return std::to_string(k.as_int());
    case ValueKind::kFloat:
      return FloatJson(k.as_float());
    case ValueKind::kNone:
      return std::string("null");
    default:
      return InvalidArgument("TypeError: keys must be str, int, float, bool or None, not " +
                             k.TypeName());
  }
}

class Dumper {
 public:
  explicit Dumper(const JsonDumpOptions& o) : o_(o) {}

  Status Dump(const Value& v, int depth) {
    if (depth > kMaxDepth) return InvalidArgument("RecursionError: tojson nesting too deep");
    if (out_.size() > o_.max_bytes) {
      return ResourceExhausted("tojson output exceeds " + std::to_string(o_.max_bytes) + " bytes");
    }
    switch (v.kind()) {
      case ValueKind::kNone:
        out_ += "null";
        return Status::Ok();
      case ValueKind::kBool:
        out_ += v.as_bool() ? "true" : "false";
        return Status::Ok();
      case ValueKind::kInt:
        out_ += std::to_string(v.as_int());
        return Status::Ok();
      case ValueKind::kFloat:
        out_ += FloatJson(v.as_float());
        return Status::Ok();
      case ValueKind::kString:
        AppendJsonString(out_, v.str(), o_.ensure_ascii);
        return Status::Ok();
      case ValueKind::kList:
      case ValueKind::kTuple:
        return DumpList(v.items(), depth);
      case ValueKind::kDict:
        return DumpDict(v.dict(), depth);
      default:
        return InvalidArgument("TypeError: Object of type " + v.TypeName() +
                               " is not JSON serializable");
    }
  }

  std::string Take() { return std::move(out_); }

 private:
  void NewLine(int depth) {
    out_.push_back('\n');
    for (int i = 0; i < depth; ++i) out_ += *o_.indent;
  }

  const std::string& ItemSeparator() const { return o_.item_separator; }

  Status DumpList(const ValueList& items, int depth) {
    if (items.empty()) {
      out_ += "[]";
      return Status::Ok();
    }
    out_.push_back('[');
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out_ += ItemSeparator();
      if (o_.indent) NewLine(depth + 1);
      DSI_RETURN_IF_ERROR(Dump(items[i], depth + 1));
    }
    if (o_.indent) NewLine(depth);
    out_.push_back(']');
    return Status::Ok();
  }

  Status DumpDict(const DictData& d, int depth) {
    if (d.entries.empty()) {
      out_ += "{}";
      return Status::Ok();
    }
    std::vector<const std::pair<Value, Value>*> order;
    for (const auto& e : d.entries) order.push_back(&e);
    if (o_.sort_keys) {
      Status error;
      std::stable_sort(order.begin(), order.end(), [&](auto* a, auto* b) {
        Result<int> c = Compare(a->first, b->first);
        if (!c.ok()) {
          if (error.ok()) error = c.status();
          return false;
        }
        return *c < 0;
      });
      DSI_RETURN_IF_ERROR(error);
    }
    out_.push_back('{');
    bool first = true;
    for (const auto* e : order) {
      if (!first) out_ += ItemSeparator();
      first = false;
      if (o_.indent) NewLine(depth + 1);
      DSI_ASSIGN_OR_RETURN(std::string key, KeyString(e->first));
      AppendJsonString(out_, key, o_.ensure_ascii);
      out_ += o_.key_separator;
      DSI_RETURN_IF_ERROR(Dump(e->second, depth + 1));
    }
    if (o_.indent) NewLine(depth);
    out_.push_back('}');
    return Status::Ok();
  }

  const JsonDumpOptions& o_;
  std::string out_;
};

}  // namespace

Result<std::string> JsonDumps(const Value& v, const JsonDumpOptions& options) {
  Dumper d(options);
  DSI_RETURN_IF_ERROR(d.Dump(v, 0));
  std::string out = d.Take();
  if (out.size() > options.max_bytes) {
    return ResourceExhausted("tojson output exceeds " + std::to_string(options.max_bytes) +
                             " bytes");
  }
  return out;
}

}  // namespace dsi::chat_template
