#include "lib/io/verify.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace ocib::io {
namespace {

// What a blob's readers have hashed so far; shared by its readers (one at a
// time, as an upload opens them).
struct VerifyState {
  Digest digest;
  int64_t size = 0;
  std::optional<DigestHasher> hasher;
  int64_t hashed = 0;  // bytes [0, hashed) went into `hasher`
  bool verified = false;
  std::optional<Error> failure;

  void Restart() {
    hasher.emplace(digest.algorithm());
    hashed = 0;
    verified = false;
  }

  // Hashes the part of [pos, pos + n) at `data` not hashed yet; checks the
  // digest once all `size` bytes are in.
  Status Take(int64_t pos, const char* data, int64_t n) {
    if (failure) return *failure;
    int64_t end = std::min(pos + n, size);
    if (pos <= hashed && hashed < end) {
      hasher->Update(data + (hashed - pos), static_cast<size_t>(end - hashed));
      hashed = end;
    }
    return CheckComplete();
  }

  Status CheckComplete() {
    if (hashed < size || verified) return {};
    Digest got = hasher->Finish();
    if (got != digest) {
      failure = DataLoss(fmt::format("blob {} does not match its digest: its {} bytes hash to {}",
                                     digest.ToString(), size, got.ToString()));
      return *failure;
    }
    verified = true;
    return {};
  }
};

class VerifyingReader : public Reader {
 public:
  VerifyingReader(std::unique_ptr<Reader> inner, std::shared_ptr<VerifyState> state, int64_t offset,
                  int64_t length)
      : inner_(std::move(inner)),
        state_(std::move(state)),
        pos_(offset),
        end_(std::min(offset + length, state_->size)) {}

  Result<size_t> Read(void* data, size_t size) override {
    if (state_->failure) return *state_->failure;
    if (pos_ >= end_) return size_t{0};
    size = std::min(size, static_cast<size_t>(end_ - pos_));
    OCIB_ASSIGN_OR_RETURN(size_t n, inner_->Read(data, size));
    OCIB_RETURN_IF_ERROR(
        state_->Take(pos_, static_cast<const char*>(data), static_cast<int64_t>(n)));
    pos_ += static_cast<int64_t>(n);
    return n;
  }

 private:
  std::unique_ptr<Reader> inner_;
  std::shared_ptr<VerifyState> state_;
  int64_t pos_;
  int64_t end_;
};

// Hashes [state.hashed, until) through `open`.
Status HashGap(const RangeOpener& open, VerifyState& state, int64_t until) {
  OCIB_ASSIGN_OR_RETURN(auto reader, open(state.hashed, until - state.hashed));
  std::vector<char> buf(size_t{1} << 17);
  while (state.hashed < until) {
    size_t want = std::min(buf.size(), static_cast<size_t>(until - state.hashed));
    OCIB_ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), want));
    if (n == 0) {
      return DataLoss(fmt::format("blob {} ended at byte {} of {}", state.digest.ToString(),
                                  state.hashed, state.size));
    }
    OCIB_RETURN_IF_ERROR(state.Take(state.hashed, buf.data(), static_cast<int64_t>(n)));
  }
  return {};
}

}  // namespace

RangeOpener VerifyingOpener(RangeOpener open, Digest digest, int64_t size) {
  if (!Digest::IsSupportedAlgorithm(digest.algorithm())) {
    return [digest](int64_t, int64_t) -> Result<std::unique_ptr<Reader>> {
      return InvalidArgument(fmt::format("cannot verify blob \"{}\"", digest.ToString()));
    };
  }
  auto state = std::make_shared<VerifyState>();
  state->digest = std::move(digest);
  state->size = size;
  state->Restart();
  return [open = std::move(open), state](int64_t offset,
                                         int64_t length) -> Result<std::unique_ptr<Reader>> {
    if (state->failure) return *state->failure;
    if (offset == 0) state->Restart();
    if (offset > state->hashed) OCIB_RETURN_IF_ERROR(HashGap(open, *state, offset));
    OCIB_RETURN_IF_ERROR(state->CheckComplete());
    OCIB_ASSIGN_OR_RETURN(auto inner, open(offset, length));
    return std::unique_ptr<Reader>(new VerifyingReader(std::move(inner), state, offset, length));
  };
}

}  // namespace ocib::io
