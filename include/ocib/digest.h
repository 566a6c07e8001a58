// File: ocib/digest.h
//
// A content digest, `algorithm:encoded`, as the OCI descriptor grammar
// defines it. ocib computes sha256 and verifies sha256 and sha512; a digest
// with any other algorithm is refused when parsed, because content under it
// could not be verified.
//
// Example:
//   auto d = ocib::Digest::Parse("sha256:44136fa3...");
//   ocib::Digest empty = ocib::Digest::Sha256Of("{}");
#ifndef OCIB_INCLUDE_OCIB_DIGEST_H_
#define OCIB_INCLUDE_OCIB_DIGEST_H_

#include <memory>
#include <string>
#include <string_view>

#include "ocib/export.h"
#include "ocib/status.h"

namespace ocib {

class OCIB_EXPORT Digest {
 public:
  Digest() = default;

  // Parses `text` with the descriptor grammar
  //   algorithm ":" encoded, algorithm ::= [a-z0-9]+([+._-][a-z0-9]+)*,
  //   encoded ::= [a-zA-Z0-9=_-]+
  // and the encodings of the algorithms ocib verifies (sha256: 64 lower-case
  // hex digits; sha512: 128). Any other algorithm (md5, sha384, blake3, ...)
  // is refused. On failure returns kInvalidArgument naming the input.
  static Result<Digest> Parse(std::string_view text);

  // Whether ocib computes and verifies digests with `algorithm`.
  static bool IsSupportedAlgorithm(std::string_view algorithm);

  // The SHA-256 digest of `bytes`.
  static Digest Sha256Of(std::string_view bytes);
  // The digest of `bytes` with `algorithm` ("sha256" or "sha512").
  static Digest Of(std::string_view algorithm, std::string_view bytes);

  // Builds a sha256 digest from 64 lower-case hex digits (unchecked).
  static Digest FromSha256Hex(std::string hex);

  const std::string& algorithm() const { return algorithm_; }
  const std::string& encoded() const { return encoded_; }
  std::string ToString() const { return algorithm_ + ":" + encoded_; }
  bool empty() const { return algorithm_.empty(); }

  friend bool operator==(const Digest& a, const Digest& b) = default;
  // clang-tidy 14 takes the `0` of the synthesized comparison for a null pointer.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  friend auto operator<=>(const Digest& a, const Digest& b) = default;

 private:
  std::string algorithm_;
  std::string encoded_;
};

// Incremental SHA-256. Not thread-safe; one per stream.
class OCIB_EXPORT Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }
  // Returns the digest of everything passed to Update. The hasher must not be
  // used afterwards.
  Digest Finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Incremental digest with one of the supported algorithms (sha256 or
// sha512; any other is a programming error: Digest::Parse admits none).
// Not thread-safe; one per stream.
class OCIB_EXPORT DigestHasher {
 public:
  explicit DigestHasher(std::string_view algorithm);
  ~DigestHasher();
  DigestHasher(DigestHasher&&) noexcept;
  DigestHasher& operator=(DigestHasher&&) noexcept;
  DigestHasher(const DigestHasher&) = delete;
  DigestHasher& operator=(const DigestHasher&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }
  // The digest of everything passed to Update; the hasher is spent.
  Digest Finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_DIGEST_H_
