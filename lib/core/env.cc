// env::Get (lib/core/env.h).
#include "lib/core/env.h"

#include <atomic>
#include <cstdlib>
#include <utility>

namespace ocib::env {
namespace {

// The variables a ScopedEnvironment installed; null: the process's.
std::atomic<const std::map<std::string, std::string>*> injected{nullptr};

}  // namespace

std::optional<std::string> Get(const char* name) {
  if (const auto* vars = injected.load(std::memory_order_acquire); vars != nullptr) {
    auto it = vars->find(name);
    if (it == vars->end()) return std::nullopt;
    return it->second;
  }
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): the one reader
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string GetOr(const char* name, const std::string& fallback) {
  std::optional<std::string> v = Get(name);
  return v && !v->empty() ? *v : fallback;
}

ScopedEnvironment::ScopedEnvironment(std::map<std::string, std::string> vars)
    : vars_(std::move(vars)) {
  injected.store(&vars_, std::memory_order_release);
}

ScopedEnvironment::~ScopedEnvironment() { injected.store(nullptr, std::memory_order_release); }

}  // namespace ocib::env
