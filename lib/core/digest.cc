#include "ocib/digest.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP,
// but still built (unless OpenSSL is configured without deprecated APIs) and
// run the same assembly (SHA-NI where the CPU has it). See Sha256Hasher::Impl.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>

namespace ocib {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsLowerHex(char c) { return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9'); }

bool ValidAlgorithm(std::string_view alg) {
  if (alg.empty()) return false;
  bool need_component = true;
  for (char c : alg) {
    if (IsLowerAlnum(c)) {
      need_component = false;
    } else if (c == '+' || c == '.' || c == '_' || c == '-') {
      if (need_component) return false;
      need_component = true;
    } else {
      return false;
    }
  }
  return !need_component;
}

bool ValidEncoded(std::string_view enc) {
  return !enc.empty() && std::ranges::all_of(enc, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '=' ||
           c == '_' || c == '-';
  });
}

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return out;
}

}  // namespace

Result<Digest> Digest::Parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument(fmt::format("invalid digest \"{}\": missing ':'", text));
  }
  std::string_view alg = text.substr(0, colon);
  std::string_view enc = text.substr(colon + 1);
  if (!ValidAlgorithm(alg)) {
    return InvalidArgument(fmt::format("invalid digest \"{}\": bad algorithm", text));
  }
  if (!ValidEncoded(enc)) {
    return InvalidArgument(fmt::format("invalid digest \"{}\": bad encoding", text));
  }
  if (!IsSupportedAlgorithm(alg)) {
    return InvalidArgument(fmt::format(
        "invalid digest \"{}\": algorithm \"{}\" is not supported (ocib verifies sha256 and "
        "sha512 only, and content it cannot verify is refused)",
        text, alg));
  }
  const size_t want = alg == "sha256" ? 64 : 128;
  if (enc.size() != want) {
    return InvalidArgument(
        fmt::format("invalid digest \"{}\": {} needs {} hex digits", text, alg, want));
  }
  if (!std::ranges::all_of(enc, IsLowerHex)) {
    return InvalidArgument(
        fmt::format("invalid digest \"{}\": encoding must be lower-case hex", text));
  }
  Digest d;
  d.algorithm_ = std::string(alg);
  d.encoded_ = std::string(enc);
  return d;
}

bool Digest::IsSupportedAlgorithm(std::string_view algorithm) {
  return algorithm == "sha256" || algorithm == "sha512";
}

Digest Digest::FromSha256Hex(std::string hex) {
  Digest d;
  d.algorithm_ = "sha256";
  d.encoded_ = std::move(hex);
  return d;
}

Digest Digest::Sha256Of(std::string_view bytes) {
  Sha256Hasher h;
  h.Update(bytes);
  return h.Finish();
}

#ifndef OPENSSL_NO_DEPRECATED_3_0

// The direct SHA-256 functions, not EVP: the first EVP digest of a process
// initializes OpenSSL's providers and reads its configuration file (1-3 ms,
// before the first layer cache key of a build can be computed), and every
// EVP_DigestInit_ex with EVP_sha256() looks the algorithm up again (~15 us,
// which for the 1,300 small files of a layer's key was most of a rebuild).
// These need neither and give the same digests at the same speed.
class OCIB_NO_EXPORT Sha256Hasher::Impl {
 public:
  Impl() {
    if (SHA256_Init(&ctx_) != 1) std::abort();
  }
  void Update(const void* data, size_t size) {
    if (SHA256_Update(&ctx_, data, size) != 1) std::abort();
  }
  std::string FinishHex() {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> md{};
    if (SHA256_Final(md.data(), &ctx_) != 1) std::abort();
    return Hex(md.data(), md.size());
  }

 private:
  SHA256_CTX ctx_{};
};

#else  // an OpenSSL without the deprecated APIs: EVP, the algorithm fetched once

namespace {

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) std::abort();
    return fetched;
  }();
  return md;
}

}  // namespace

class OCIB_NO_EXPORT Sha256Hasher::Impl {
 public:
  Impl() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, Sha256Md(), nullptr) != 1) std::abort();
  }
  ~Impl() { EVP_MD_CTX_free(ctx_); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  void Update(const void* data, size_t size) {
    if (EVP_DigestUpdate(ctx_, data, size) != 1) std::abort();
  }
  std::string FinishHex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_, md.data(), &len) != 1) std::abort();
    return Hex(md.data(), len);
  }

 private:
  EVP_MD_CTX* ctx_;
};

#endif

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {}
Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;

void Sha256Hasher::Update(const void* data, size_t size) {
  if (size == 0) return;
  impl_->Update(data, size);
}

Digest Sha256Hasher::Finish() { return Digest::FromSha256Hex(impl_->FinishHex()); }

// sha512 through EVP, the algorithm fetched once per process.
class OCIB_NO_EXPORT DigestHasher::Impl {
 public:
  explicit Impl(std::string_view algorithm) {
    if (algorithm == "sha256") {
      sha256_.emplace();
      return;
    }
    if (algorithm != "sha512") std::abort();
    static const EVP_MD* const kSha512 = [] {
      EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA512", nullptr);
      if (fetched == nullptr) std::abort();
      return fetched;
    }();
    ctx_ = EVP_MD_CTX_new();
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, kSha512, nullptr) != 1) std::abort();
  }
  ~Impl() { EVP_MD_CTX_free(ctx_); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void Update(const void* data, size_t size) {
    if (sha256_) {
      sha256_->Update(data, size);
    } else if (EVP_DigestUpdate(ctx_, data, size) != 1) {
      std::abort();
    }
  }
  Digest Finish() {
    if (sha256_) return sha256_->Finish();
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_, md.data(), &len) != 1) std::abort();
    auto d = Digest::Parse("sha512:" + Hex(md.data(), len));
    if (!d) std::abort();
    return *d;
  }

 private:
  std::optional<Sha256Hasher> sha256_;
  EVP_MD_CTX* ctx_ = nullptr;
};

DigestHasher::DigestHasher(std::string_view algorithm) : impl_(std::make_unique<Impl>(algorithm)) {}
DigestHasher::~DigestHasher() = default;
DigestHasher::DigestHasher(DigestHasher&&) noexcept = default;
DigestHasher& DigestHasher::operator=(DigestHasher&&) noexcept = default;

void DigestHasher::Update(const void* data, size_t size) {
  if (size == 0) return;
  impl_->Update(data, size);
}

Digest DigestHasher::Finish() { return impl_->Finish(); }

Digest Digest::Of(std::string_view algorithm, std::string_view bytes) {
  DigestHasher h(algorithm);
  h.Update(bytes);
  return h.Finish();
}

}  // namespace ocib
