#include "ocib/status.h"

namespace ocib {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kAlreadyExists:
      return "already exists";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kDataLoss:
      return "data loss";
    case ErrorCode::kUnimplemented:
      return "unimplemented";
    case ErrorCode::kIo:
      return "i/o error";
    case ErrorCode::kBuildFailed:
      return "build failed";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Error::ToString() const {
  std::string out;
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += message_;
  return out;
}

Error InvalidArgument(std::string message) {
  return {ErrorCode::kInvalidArgument, std::move(message)};
}
Error NotFound(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }
Error IoError(std::string message) { return {ErrorCode::kIo, std::move(message)}; }
Error DataLoss(std::string message) { return {ErrorCode::kDataLoss, std::move(message)}; }
Error Internal(std::string message) { return {ErrorCode::kInternal, std::move(message)}; }

}  // namespace ocib
