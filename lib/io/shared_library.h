// SharedLibrary: a library opened with dlopen, and its functions.
//
// ocib loads the libraries that pull in dozens of others (libcurl) when
// first needed rather than at process start; see lib/http/curl_api.h. The
// library stays loaded for the life of the process.
#ifndef OCIB_LIB_IO_SHARED_LIBRARY_H_
#define OCIB_LIB_IO_SHARED_LIBRARY_H_

#include <mutex>
#include <optional>
#include <string>

#include "ocib/status.h"

namespace ocib::io {

class SharedLibrary {
 public:
  // dlopen(`soname`, RTLD_NOW | RTLD_LOCAL): the library's symbols stay out
  // of the global namespace, so a program that links its own copy is not
  // affected. kNotFound says what it was for (`purpose`) and which Debian
  // package provides it.
  static Result<SharedLibrary> Open(const std::string& soname, const std::string& purpose,
                                    const std::string& package);

  // Sets `*fn` to the function `name` (also searched in the libraries this
  // one depends on); a missing name is remembered for Check.
  template <typename Fn>
  void Resolve(const char* name, Fn* fn) {
    void* sym = Symbol(name);
    // POSIX guarantees that a dlsym result converts to a function pointer.
    *fn = reinterpret_cast<Fn>(sym);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  }

  // kNotFound listing every function Resolve did not find, else OK.
  Status Check() const;

 private:
  SharedLibrary(void* handle, std::string soname) : handle_(handle), soname_(std::move(soname)) {}
  void* Symbol(const char* name);

  void* handle_;
  std::string soname_;
  std::string missing_;
};

// Runs `load` once per `Api` (thread-safe) and returns its result, error
// included, on every call. The result is never destroyed: a thread may
// still be loading while a process that failed early runs its static
// destructors.
template <typename Api>
Result<const Api*> LoadOnce(Result<const Api*> (*load)()) {
  static std::once_flag once;
  static auto* loaded = new std::optional<Result<const Api*>>();
  std::call_once(once, [load] { loaded->emplace(load()); });
  return **loaded;
}

}  // namespace ocib::io

#endif  // OCIB_LIB_IO_SHARED_LIBRARY_H_
