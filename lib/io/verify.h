// Verifying what is read against a digest while it streams.
#ifndef OCIB_LIB_IO_VERIFY_H_
#define OCIB_LIB_IO_VERIFY_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "ocib/digest.h"
#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib::io {

// Opens a reader over bytes [offset, offset + length) of a blob (the shape
// of ocib::BlobOpener, with which it is interchangeable).
using RangeOpener = std::function<Result<std::unique_ptr<Reader>>(int64_t offset, int64_t length)>;

// Wraps `open` so that every byte of the blob `digest` (of `size` bytes) is
// hashed as it is read, whatever the ranges asked for: a range that starts
// past what was hashed first hashes the gap (read through `open`), and bytes
// read again (a resumed or restarted upload) are not hashed twice; opening
// at offset 0 starts over. The Read that would deliver the last byte of a
// blob whose digest differs fails with kDataLoss instead, so those bytes
// never reach the consumer (an upload is aborted before it completes), and
// so does every later open and read. A source longer than `size` is not
// read past `size`; one that ends early is the inner reader's error.
RangeOpener VerifyingOpener(RangeOpener open, Digest digest, int64_t size);

}  // namespace ocib::io

#endif  // OCIB_LIB_IO_VERIFY_H_
