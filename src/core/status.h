// Expected failures travel as Status / Result<T> with an actionable message; broken
// invariants use DSI_CHECK (check.h). The two are never mixed (style.md §8).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace dsi {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,    // bad option, bad request field
  kNotFound,           // missing file, tensor, model
  kIoError,            // read/write/mmap failed
  kCorrupt,            // a file whose bytes contradict its own format
  kUnsupported,        // a known feature this engine does not implement
  kOutOfRange,         // oversized prompt, position past max
  kResourceExhausted,  // out of KV blocks, out of memory
  kUnavailable,        // server overloaded or shutting down
  kInternal,
};

std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corrupt: <message>" — what the CLI prints.
  std::string ToString() const;
  // Adds context in front: "reading model.safetensors: <message>".
  Status WithContext(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status IoError(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }
inline Status Corrupt(std::string m) { return {ErrorCode::kCorrupt, std::move(m)}; }
inline Status Unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
inline Status OutOfRange(std::string m) { return {ErrorCode::kOutOfRange, std::move(m)}; }
inline Status ResourceExhausted(std::string m) {
  return {ErrorCode::kResourceExhausted, std::move(m)};
}
inline Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

#define DSI_CONCAT_INNER_(a, b) a##b
#define DSI_CONCAT_(a, b) DSI_CONCAT_INNER_(a, b)

#define DSI_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::dsi::Status dsi_status_ = (expr);    \
    if (!dsi_status_.ok()) return dsi_status_; \
  } while (0)

#define DSI_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

// DSI_ASSIGN_OR_RETURN(auto x, MakeX()); returns the error status from the enclosing function.
#define DSI_ASSIGN_OR_RETURN(lhs, expr) \
  DSI_ASSIGN_OR_RETURN_IMPL_(DSI_CONCAT_(dsi_result_, __LINE__), lhs, expr)

}  // namespace dsi
