// The process environment, read through one seam: library code calls
// env::Get instead of std::getenv, so a test can give it the variables it
// wants (ScopedEnvironment) without changing the process's own, and a
// reader of the code finds every variable ocib reads with one search.
#ifndef OCIB_LIB_CORE_ENV_H_
#define OCIB_LIB_CORE_ENV_H_

#include <map>
#include <optional>
#include <string>

namespace ocib::env {

// The value of `name`; nullopt when it is unset (set but empty is "").
std::optional<std::string> Get(const char* name);

// The value of `name`, or `fallback` when it is unset or empty.
std::string GetOr(const char* name, const std::string& fallback);

// For tests: while one is alive, Get reads `vars` (names not in it are
// unset) instead of the process environment. Not nestable; create it
// before the threads that read the environment start.
class ScopedEnvironment {
 public:
  explicit ScopedEnvironment(std::map<std::string, std::string> vars);
  ~ScopedEnvironment();
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace ocib::env

#endif  // OCIB_LIB_CORE_ENV_H_
