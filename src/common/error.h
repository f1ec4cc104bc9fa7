// One error policy for tandem: failures that can happen are values
// (`Result<T>` = std::expected<T, Error>); exceptions only where the program
// must stop; assertions for programmer errors.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace tandem {

enum class ErrorCode {
  kInvalid,      // bad input: never succeeds if retried unchanged
  kNotFound,     // the named thing does not exist
  kConflict,     // exists with other content, or a state change not allowed now
  kLeaseLost,    // the caller no longer holds the queue message
  kUnavailable,  // a backend or resource is unreachable or busy: retry later
  kInternal,     // a bug or an unexpected system failure
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // "conflict: job 'a' already exists with other content"
  std::string to_string() const;
  bool retryable() const { return code == ErrorCode::kUnavailable; }
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace tandem
