// The CLI's exit codes. The README repeats this table; scripts rely on it.
#ifndef OCIB_CLI_EXIT_CODES_H_
#define OCIB_CLI_EXIT_CODES_H_

#include "ocib/status.h"

namespace ocib::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;         // I/O and other failures
inline constexpr int kExitUsage = 2;           // bad flags or invalid input
inline constexpr int kExitAuth = 3;            // authentication or authorization failed
inline constexpr int kExitNotFound = 4;        // a file, tag, blob, image or platform is missing
inline constexpr int kExitUnavailable = 5;     // network/registry unavailable after retries
inline constexpr int kExitDigestMismatch = 6;  // content does not match its digest or size
inline constexpr int kExitBuildFailed = 7;     // an external build step (go build) failed

inline int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return kExitOk;
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kNotFound:
      return kExitNotFound;
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
      return kExitAuth;
    case ErrorCode::kUnavailable:
      return kExitUnavailable;
    case ErrorCode::kDataLoss:
      return kExitDigestMismatch;
    case ErrorCode::kBuildFailed:
      return kExitBuildFailed;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kUnimplemented:
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return kExitFailure;
  }
  return kExitFailure;
}

}  // namespace ocib::cli

#endif  // OCIB_CLI_EXIT_CODES_H_
