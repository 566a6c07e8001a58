// File: ocib/status.h
//
// Errors and results. Every fallible public function returns a
// `Result<T>` (or `Status`, which is `Result<void>`); no exception leaves a
// public function. An `Error` carries a code, a message and a chain of
// context lines added on the way up ("what was being done, to what").
//
// Example:
//   ocib::Result<ocib::Digest> d = ocib::Digest::Parse(text);
//   if (!d) return d.error().With("reading index.json");
//
// Thread safety: values; safe to copy between threads.
#ifndef OCIB_INCLUDE_OCIB_STATUS_H_
#define OCIB_INCLUDE_OCIB_STATUS_H_

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "ocib/export.h"

namespace ocib {

// Canonical error codes. Choose the most specific one that applies.
enum class ErrorCode {
  kOk = 0,
  // The caller gave something malformed: a flag, a platform string, a path
  // that escapes the root, a document that does not parse.
  kInvalidArgument,
  // A thing the operation needed does not exist (file, tag, blob, platform).
  kNotFound,
  kAlreadyExists,
  // Credentials missing or rejected.
  kUnauthenticated,
  // Credentials accepted but the action is not allowed.
  kPermissionDenied,
  // A remote service or the network is unavailable; retrying may help.
  kUnavailable,
  // Stored or received bytes do not match their digest or size.
  kDataLoss,
  kUnimplemented,
  // A local filesystem operation failed (open, write, rename, fsync).
  kIo,
  // An external build step (for example `go build`) failed.
  kBuildFailed,
  kInternal,
};

// Returns a stable lower-case name for `code`, e.g. "not found".
OCIB_EXPORT std::string_view ErrorCodeName(ErrorCode code);

class OCIB_EXPORT Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  // The innermost message, without context.
  const std::string& message() const { return message_; }
  // Context lines, innermost first.
  const std::vector<std::string>& context() const { return context_; }

  // Adds a line of context ("pushing x", "reading y"); returns *this so it can
  // be chained: `return err.With("building linux/arm64");`
  Error& With(std::string context) & {
    context_.push_back(std::move(context));
    return *this;
  }
  Error&& With(std::string context) && {
    context_.push_back(std::move(context));
    return std::move(*this);
  }

  // "outer: inner: message", the form printed by the CLI.
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::vector<std::string> context_;
};

// Shorthand factories.
OCIB_EXPORT Error InvalidArgument(std::string message);
OCIB_EXPORT Error NotFound(std::string message);
OCIB_EXPORT Error IoError(std::string message);
OCIB_EXPORT Error DataLoss(std::string message);
OCIB_EXPORT Error Internal(std::string message);

// A value or an Error, shaped like std::expected<T, Error>.
template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : v_(std::in_place_index<0>, value) {}          // NOLINT
  Result(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}    // NOLINT
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  template <class U, class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                              !std::is_same_v<std::decay_t<U>, T> &&
                                              !std::is_same_v<std::decay_t<U>, Error> &&
                                              !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : v_(std::in_place_index<0>, T(std::forward<U>(value))) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    Check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    Check();
    return std::get<0>(v_);
  }
  T&& value() && {
    Check();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <class U>
  T value_or(U&& other) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(other));
  }

  const Error& error() const& { return std::get<1>(v_); }
  Error& error() & { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  void Check() const {
    if (!has_value()) std::abort();  // value() on an error is a programming bug
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT
  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  void value() const {
    if (!has_value()) std::abort();
  }
  const Error& error() const& { return *error_; }
  Error& error() & { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status OkStatus() { return {}; }

}  // namespace ocib

#define OCIB_STATUS_CONCAT_INNER_(a, b) a##b
#define OCIB_STATUS_CONCAT_(a, b) OCIB_STATUS_CONCAT_INNER_(a, b)

// Returns the error of `expr` (a Result or Status) from the enclosing function.
#define OCIB_RETURN_IF_ERROR(expr)                             \
  do {                                                         \
    auto ocib_status_ = (expr);                                \
    if (!ocib_status_) return std::move(ocib_status_).error(); \
  } while (false)

// Declares/assigns `lhs` from a Result, or returns its error.
#define OCIB_ASSIGN_OR_RETURN(lhs, expr) \
  OCIB_ASSIGN_OR_RETURN_IMPL_(OCIB_STATUS_CONCAT_(ocib_result_, __LINE__), lhs, expr)
// `tmp` is a name and `lhs` may be a declaration (`auto x`): neither can be
// parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define OCIB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp) return std::move(tmp).error();          \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

#endif  // OCIB_INCLUDE_OCIB_STATUS_H_
