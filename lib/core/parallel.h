// The project's one way of running work in parallel: a bounded set of
// threads taking indexes in order, stopping at the first failure.
#ifndef OCIB_LIB_CORE_PARALLEL_H_
#define OCIB_LIB_CORE_PARALLEL_H_

#include <cstddef>
#include <functional>

#include "ocib/status.h"

namespace ocib::core {

// Runs `fn(i)` for i in [0, n) on at most `jobs` threads (the calling one
// included). Indexes start in increasing order; once one fails no further
// index starts, and those already started run to their end. Returns the
// error of the lowest failing index (so that the answer does not depend on
// timing), or Ok.
Status ParallelFor(size_t n, int jobs, const std::function<Status(size_t)>& fn);

// The default number of threads for CPU-bound work: the core count (at
// least 1).
int CpuJobs();

}  // namespace ocib::core

#endif  // OCIB_LIB_CORE_PARALLEL_H_
