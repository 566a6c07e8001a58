#include "lib/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace ocib::core {

Status ParallelFor(size_t n, int jobs, const std::function<Status(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<size_t, Error> failures;
  auto worker = [&] {
    while (!stop.load()) {
      size_t i = next.fetch_add(1);
      if (i >= n) return;
      Status s = fn(i);
      if (!s) {
        std::lock_guard<std::mutex> lock(mu);
        failures.emplace(i, std::move(s).error());
        stop = true;
      }
    }
  };
  int threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(std::max(1, jobs)), n));
  std::vector<std::jthread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  pool.clear();  // joins
  if (!failures.empty()) return std::move(failures.begin()->second);
  return OkStatus();
}

int CpuJobs() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

}  // namespace ocib::core
