#include "lib/io/shared_library.h"

#include <dlfcn.h>

#include <fmt/format.h>

namespace ocib::io {

Result<SharedLibrary> SharedLibrary::Open(const std::string& soname, const std::string& purpose,
                                          const std::string& package) {
  void* handle = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return Error(ErrorCode::kNotFound,
                 fmt::format("loading {} {}: {} (install the {} package)", soname, purpose,
                             why != nullptr ? why : "dlopen failed", package));
  }
  return SharedLibrary(handle, soname);
}

void* SharedLibrary::Symbol(const char* name) {
  void* sym = ::dlsym(handle_, name);
  if (sym == nullptr) {
    if (!missing_.empty()) missing_ += ", ";
    missing_ += name;
  }
  return sym;
}

Status SharedLibrary::Check() const {
  if (missing_.empty()) return {};
  return Error(ErrorCode::kNotFound, fmt::format("{} lacks {}", soname_, missing_));
}

}  // namespace ocib::io
