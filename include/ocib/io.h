// File: ocib/io.h
//
// Push sinks and pull sources for byte streams. The layer pipeline is a
// chain of Writers (tar -> hash -> compress -> hash -> blob).
#ifndef OCIB_INCLUDE_OCIB_IO_H_
#define OCIB_INCLUDE_OCIB_IO_H_

#include <cstddef>

#include "ocib/export.h"
#include "ocib/status.h"

namespace ocib {

// A byte sink. Write may be called any number of times, then Close once.
// After an error the writer is unusable. One thread at a time.
class OCIB_EXPORT Writer {
 public:
  virtual ~Writer() = default;
  virtual Status Write(const void* data, size_t size) = 0;
  // Flushes everything downstream. Writing after Close is a bug.
  virtual Status Close() = 0;
};

// A byte source. Read returns the number of bytes read, 0 at end of stream.
class OCIB_EXPORT Reader {
 public:
  virtual ~Reader() = default;
  virtual Result<size_t> Read(void* data, size_t size) = 0;
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_IO_H_
