// The shared setup of the append and rebase tests (lib/ops/append.cc,
// lib/ops/rebase.cc): an image pushed to the in-memory registry of
// test/registry/fake_registry.h, and a tarball to append.
#ifndef OCIB_TEST_UNIT_OPS_PUSHED_IMAGE_H_
#define OCIB_TEST_UNIT_OPS_PUSHED_IMAGE_H_

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ocib/append.h"
#include "ocib/manifest.h"
#include "ocib/push.h"

#include "lib/archive/tar_writer.h"
#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib::testing {

using fake::Dest;
using fake::FakeRegistry;
using fake::MakeImage;
using fake::Options;

inline ImageLocation Loc(const std::string& text) {
  auto l = ImageLocation::Parse(text);
  EXPECT_TRUE(l.has_value()) << text;
  return *l;
}

class FileWriter : public Writer {
 public:
  explicit FileWriter(const std::string& path) : out_(path, std::ios::binary) {}
  Status Write(const void* data, size_t size) override {
    out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    return OkStatus();
  }
  Status Close() override { return OkStatus(); }

 private:
  std::ofstream out_;
};

// A tarball at `path` with one file at `name`.
inline void WriteTar(const std::string& path, const std::string& name) {
  FileWriter out(path);
  tar::TarWriter w(&out);
  tar::Header h;
  h.path = name;
  h.size = 3;
  ASSERT_TRUE(w.WriteHeader(h).has_value());
  ASSERT_TRUE(w.WriteData("abc", 3).has_value());
  ASSERT_TRUE(w.Finish().has_value());
}

// The image of fake::MakeImage pushed to reg.test/app:v1 (a registry that
// mounts), and a tarball with one file to append.
class PushedImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reg_ = std::make_shared<FakeRegistry>();
    reg_->mounts = true;
    MakeImage(dir_.path() + "/src");
    auto r = Push(dir_.path() + "/src", "v1", Dest("reg.test/app:v1"), Options(reg_));
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    WriteTar(tarball(), "etc/extra.conf");
  }
  std::string tarball() const { return dir_.path() + "/layer.tar"; }
  int Count(const std::string& method, const std::string& prefix) {
    int n = 0;
    for (const auto& r : reg_->log()) n += (r.method == method && r.path.rfind(prefix, 0) == 0);
    return n;
  }
  std::vector<Manifest> Manifests(const std::string& repo, const Digest& index) {
    std::vector<Manifest> out;
    auto idx = Index::Parse(reg_->manifests[repo + "@" + index.ToString()].bytes);
    EXPECT_TRUE(idx.has_value());
    for (const Descriptor& d : idx->manifests) {
      auto m = Manifest::Parse(reg_->manifests[repo + "@" + d.digest.ToString()].bytes);
      EXPECT_TRUE(m.has_value());
      out.push_back(*m);
    }
    return out;
  }
  Result<MutateResult> AppendTo(const std::string& dst, std::vector<AppendInput> layers) {
    AppendOptions a;
    a.layers = std::move(layers);
    return Append(Loc("reg.test/app:v1"), Loc(dst), a, Options(reg_));
  }

  ScopedTempDir dir_;
  std::shared_ptr<FakeRegistry> reg_;
};

}  // namespace ocib::testing

#endif  // OCIB_TEST_UNIT_OPS_PUSHED_IMAGE_H_
