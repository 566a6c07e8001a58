#include "lib/io/streams.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <zlib.h>
#include <zstd.h>

namespace ocib::io {

namespace {

// strerror_r comes in two shapes: GNU (returns the message, in `buf` or not)
// and XSI (returns 0 and fills `buf`). One overload for each.
[[maybe_unused]] const char* StrerrorResult(const char* message, const char* /*buf*/) {
  return message;
}
[[maybe_unused]] const char* StrerrorResult(int rc, const char* buf) {
  return rc == 0 ? buf : "Unknown error";
}

}  // namespace

// strerror_r, not strerror (MT-Unsafe): errors are also formatted on worker
// threads (platforms and layers are built in parallel).
std::string ErrnoText(int err) {
  char buf[256] = {};
  return StrerrorResult(::strerror_r(err, buf, sizeof buf), buf);
}

Status HashingWriter::Write(const void* data, size_t size) {
  hasher_.Update(data, size);
  count_ += static_cast<int64_t>(size);
  return next_->Write(data, size);
}

namespace {

constexpr size_t kBufSize = 1 << 17;

class PassThrough : public Writer {
 public:
  explicit PassThrough(Writer* next) : next_(next) {}
  Status Write(const void* d, size_t n) override { return next_->Write(d, n); }
  Status Close() override { return next_->Close(); }

 private:
  Writer* next_;
};

// gzip with header MTIME 0, no name, OS byte 255 ("unknown"), so output
// depends only on the input, the level and zlib's version.
class GzipWriter : public Writer {
 public:
  // zs_ and header_ start zeroed (value-initialized members), as zlib wants.
  GzipWriter(int level, Writer* next) : next_(next), out_(kBufSize) {
    ok_ = deflateInit2(&zs_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    if (ok_) {
      header_.os = 255;
      deflateSetHeader(&zs_, &header_);
    }
  }
  ~GzipWriter() override { deflateEnd(&zs_); }
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  Status Write(const void* data, size_t size) override {
    if (!ok_) return Internal("gzip: deflateInit2 failed");
    const auto* p = static_cast<const Bytef*>(data);
    while (size > 0) {
      uInt chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
      zs_.next_in = const_cast<Bytef*>(p);  // NOLINT: zlib's API is not const-correct
      zs_.avail_in = chunk;
      OCIB_RETURN_IF_ERROR(Pump(Z_NO_FLUSH));
      p += chunk;
      size -= chunk;
    }
    return {};
  }
  Status Close() override {
    if (!ok_) return Internal("gzip: deflateInit2 failed");
    zs_.next_in = nullptr;
    zs_.avail_in = 0;
    OCIB_RETURN_IF_ERROR(Pump(Z_FINISH));
    return next_->Close();
  }

 private:
  Status Pump(int flush) {
    while (true) {
      zs_.next_out = out_.data();
      zs_.avail_out = static_cast<uInt>(out_.size());
      int rc = deflate(&zs_, flush);
      if (rc == Z_STREAM_ERROR) return Internal("gzip: deflate failed");
      size_t have = out_.size() - zs_.avail_out;
      if (have > 0) OCIB_RETURN_IF_ERROR(next_->Write(out_.data(), have));
      if (flush == Z_FINISH) {
        if (rc == Z_STREAM_END) return {};
      } else if (zs_.avail_in == 0 && zs_.avail_out != 0) {
        return {};
      }
    }
  }
  Writer* next_;
  z_stream zs_{};
  gz_header header_{};
  bool ok_ = false;
  std::vector<Bytef> out_;
};

class ZstdWriter : public Writer {
 public:
  ZstdWriter(int level, int threads, Writer* next)
      : next_(next), cctx_(ZSTD_createCCtx()), out_(ZSTD_CStreamOutSize()) {
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 0);
    // With at least one worker the output is the same for any worker count.
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_nbWorkers, threads);
    // A fixed job size bounds memory (a few jobs in flight per worker) and
    // keeps the output independent of the worker count.
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_jobSize, 2 << 20);
  }
  ~ZstdWriter() override { ZSTD_freeCCtx(cctx_); }
  ZstdWriter(const ZstdWriter&) = delete;
  ZstdWriter& operator=(const ZstdWriter&) = delete;

  Status Write(const void* data, size_t size) override {
    ZSTD_inBuffer in{data, size, 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      size_t rc = ZSTD_compressStream2(cctx_, &out, &in, ZSTD_e_continue);
      if (ZSTD_isError(rc)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(rc));
      if (out.pos > 0) OCIB_RETURN_IF_ERROR(next_->Write(out_.data(), out.pos));
    }
    return {};
  }
  Status Close() override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (true) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      size_t rc = ZSTD_compressStream2(cctx_, &out, &in, ZSTD_e_end);
      if (ZSTD_isError(rc)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(rc));
      if (out.pos > 0) OCIB_RETURN_IF_ERROR(next_->Write(out_.data(), out.pos));
      if (rc == 0) break;
    }
    return next_->Close();
  }

 private:
  Writer* next_;
  ZSTD_CCtx* cctx_;
  std::vector<char> out_;
};

class GzipReader : public Reader {
 public:
  // zs_ starts zeroed (a value-initialized member), as zlib wants.
  explicit GzipReader(Reader* src) : src_(src), in_(kBufSize) {
    ok_ = inflateInit2(&zs_, 15 + 32) == Z_OK;
  }
  ~GzipReader() override { inflateEnd(&zs_); }
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  Result<size_t> Read(void* data, size_t size) override {
    if (!ok_) return Internal("gzip: inflateInit2 failed");
    if (done_ || size == 0) return size_t{0};
    zs_.next_out = static_cast<Bytef*>(data);
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    while (zs_.avail_out > 0 && !done_) {
      if (zs_.avail_in == 0) {
        OCIB_ASSIGN_OR_RETURN(size_t n, src_->Read(in_.data(), in_.size()));
        if (n == 0) {
          if (finished_member_) {
            done_ = true;
            break;
          }
          return DataLoss("gzip: unexpected end of compressed data");
        }
        zs_.next_in = in_.data();
        zs_.avail_in = static_cast<uInt>(n);
      }
      finished_member_ = false;
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        // Concatenated members are allowed; continue with the next one.
        finished_member_ = true;
        inflateReset(&zs_);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return DataLoss(std::string("gzip: corrupt data: ") +
                        (zs_.msg ? zs_.msg : "inflate failed"));
      }
    }
    return static_cast<size_t>(zs_.next_out - static_cast<Bytef*>(data));
  }

 private:
  Reader* src_;
  z_stream zs_{};
  bool ok_ = false;
  bool done_ = false;
  bool finished_member_ = false;
  std::vector<Bytef> in_;
};

class ZstdReader : public Reader {
 public:
  explicit ZstdReader(Reader* src)
      : src_(src), dctx_(ZSTD_createDCtx()), in_(ZSTD_DStreamInSize()) {}
  ~ZstdReader() override { ZSTD_freeDCtx(dctx_); }
  ZstdReader(const ZstdReader&) = delete;
  ZstdReader& operator=(const ZstdReader&) = delete;

  Result<size_t> Read(void* data, size_t size) override {
    ZSTD_outBuffer out{data, size, 0};
    while (out.pos == 0 && size > 0) {
      if (in_pos_ == in_len_) {
        OCIB_ASSIGN_OR_RETURN(size_t n, src_->Read(in_.data(), in_.size()));
        if (n == 0) {
          if (last_rc_ != 0) return DataLoss("zstd: unexpected end of compressed data");
          return size_t{0};
        }
        in_len_ = n;
        in_pos_ = 0;
      }
      ZSTD_inBuffer in{in_.data(), in_len_, in_pos_};
      size_t rc = ZSTD_decompressStream(dctx_, &out, &in);
      if (ZSTD_isError(rc))
        return DataLoss(std::string("zstd: corrupt data: ") + ZSTD_getErrorName(rc));
      in_pos_ = in.pos;
      last_rc_ = rc;
    }
    return out.pos;
  }

 private:
  Reader* src_;
  ZSTD_DCtx* dctx_;
  std::vector<char> in_;
  size_t in_len_ = 0;
  size_t in_pos_ = 0;
  size_t last_rc_ = 0;
};

}  // namespace

std::unique_ptr<Writer> NewCompressor(Compression c, int level, int threads, Writer* next) {
  switch (c) {
    case Compression::kZstd:
      return std::make_unique<ZstdWriter>(level == 0 ? 3 : level, threads, next);
    case Compression::kGzip:
      return std::make_unique<GzipWriter>(level == 0 ? 6 : level, next);
    case Compression::kNone:
      break;
  }
  return std::make_unique<PassThrough>(next);
}

std::unique_ptr<Reader> NewGzipReader(Reader* src) { return std::make_unique<GzipReader>(src); }
std::unique_ptr<Reader> NewZstdReader(Reader* src) { return std::make_unique<ZstdReader>(src); }

Result<std::unique_ptr<FileReader>> FileReader::Open(const std::string& path, Links links) {
  OCIB_ASSIGN_OR_RETURN(RegularFile file, RegularFile::Open(path, links));
  int64_t size = file.size();
  return std::unique_ptr<FileReader>(new FileReader(file.Release(), size, path));
}

FileReader::~FileReader() { ::close(fd_); }

Result<size_t> FileReader::Read(void* data, size_t size) {
  if (remaining_ <= 0) return size_t{0};
  size_t want = std::min(size, static_cast<size_t>(remaining_));
  while (true) {
    ssize_t n = ::read(fd_, data, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError(fmt::format("read {}: {}", path_, ErrnoText(errno)));
    remaining_ -= n;
    if (remaining_ <= 0) {
      return DataLoss(
          fmt::format("{} grew while it was read (it had {} bytes when opened)", path_, size_));
    }
    return static_cast<size_t>(n);
  }
}

Result<size_t> StringReader::Read(void* data, size_t size) {
  size_t n = std::min(size, bytes_.size() - offset_);
  std::memcpy(data, bytes_.data() + offset_, n);
  offset_ += n;
  return n;
}

Result<std::string> ReadAtMost(Reader& reader, size_t limit) {
  std::string out;
  char buf[1 << 16];
  while (out.size() <= limit) {
    OCIB_ASSIGN_OR_RETURN(size_t n, reader.Read(buf, sizeof(buf)));
    if (n == 0) break;
    out.append(buf, n);
  }
  return out;
}

}  // namespace ocib::io
