// Tests for BuildImage (lib/builder/image_builder.cc): its input checks,
// platform spelling and directory metadata (with lib/builder/input_checks),
// and whole builds (platforms, base layouts, refusals) and SOURCE_DATE_EPOCH.
#include "ocib/image_builder.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "ocib/image_config.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/validate.h"

#include "lib/archive/tar_scan.h"
#include "test/testing/build_options.h"
#include "test/testing/elf_header.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::BuildImage;
using ::ocib::testing::BuildOptions;

using ::ocib::testing::ElfFor;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    out[e.path().string()] = e.is_regular_file() ? ReadFileOrDie(e.path().string()) : "<dir>";
  }
  return out;
}

class ImageBuilderChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* arch : {"amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"}) {
      WriteFileOrDie(Bin(arch), ElfFor(arch));
    }
    WriteFileOrDie(tmp_.path() + "/a.conf", "a\n");
    WriteFileOrDie(tmp_.path() + "/b.conf", "b\n");
    WriteFileOrDie(tmp_.path() + "/tree/x", "x\n");
    options_.output = "oci:" + tmp_.path() + "/out:v1";
    options_.source_date_epoch = 1700000000;
    options_.no_cache = true;
    options_.sbom = "none";
    options_.compression = Compression::kGzip;
  }
  std::string Bin(const std::string& arch) { return tmp_.path() + "/bin-" + arch; }
  Result<BuildResult> Build(const std::string& platform, const std::string& arch) {
    BuildOptions o = options_;
    o.binaries = {{platform, Bin(arch)}};
    return BuildImage(o);
  }
  ScopedTempDir tmp_;
  BuildOptions options_;
};

TEST_F(ImageBuilderChecksTest, RefusalsLeaveTheOutputUnchanged) {
  ASSERT_THAT(Build("linux/amd64", "amd64"), IsOk());
  auto before = Snapshot(tmp_.path() + "/out");
  const std::string t = tmp_.path();
  struct Case {
    std::string name;
    std::function<void(BuildOptions&)> mutate;
    std::vector<std::string> message;
  };
  std::vector<Case> cases = {
      {"long name",
       [&](BuildOptions& o) { o.files = {t + "/a.conf:/etc/" + std::string(256, 'n')}; },
       {"a.conf:/etc/nnn", "256 bytes"}},
      {"long binary path",
       [&](BuildOptions& o) { o.binary_path = "/" + std::string(300, 'b'); },
       {"binary path", "300 bytes"}},
      {"same destination",
       [&](BuildOptions& o) {
         o.files = {t + "/a.conf:/etc/app.conf", t + "/b.conf:/etc/app.conf"};
       },
       {"a.conf:/etc/app.conf", "b.conf:/etc/app.conf"}},
      {"file at the binary path",
       [&](BuildOptions& o) { o.files = {t + "/a.conf:/app"}; },
       {"a.conf:/app", "where the binary goes"}},
      {"whiteout",
       [&](BuildOptions& o) { o.files = {t + "/a.conf:/etc/.wh.passwd"}; },
       {"a.conf:/etc/.wh.passwd", "whiteout"}},
      {"opaque whiteout",
       [&](BuildOptions& o) { o.files = {t + "/a.conf:/srv/.wh..wh..opq"}; },
       {"whole directory"}},
      {"arm64 binary as amd64",
       [&](BuildOptions& o) {
         o.binaries = {{"linux/amd64", Bin("arm64")}};
       },
       {Bin("arm64"), "not linux/amd64"}},
      {"linux binary as windows",
       [&](BuildOptions& o) {
         o.base = "scratch";
         o.binaries = {{"windows/amd64", Bin("amd64")}};
       },
       {Bin("amd64"), "windows cannot run"}},
      {"script as linux",
       [&](BuildOptions& o) {
         o.binaries = {{"linux/amd64", t + "/a.conf"}};
       },
       {t + "/a.conf", "not an ELF executable"}},
  };
  for (const auto& c : cases) {
    BuildOptions o = options_;
    o.binaries = {{"linux/amd64", Bin("amd64")}};
    o.output = "oci:" + t + "/out:other";
    c.mutate(o);
    auto r = BuildImage(o);
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << c.name;
    for (const auto& m : c.message) EXPECT_THAT(r.error().ToString(), HasSubstr(m)) << c.name;
    EXPECT_EQ(Snapshot(tmp_.path() + "/out"), before) << c.name;
  }
}

TEST_F(ImageBuilderChecksTest, UncheckedBinaryIsAccepted) {
  options_.binary_unchecked = true;
  options_.binaries = {{"linux/amd64", tmp_.path() + "/a.conf"}};
  EXPECT_THAT(BuildImage(options_), IsOk());
}

// Every spelling of one platform gives one image.
TEST_F(ImageBuilderChecksTest, EverySpellingOfAPlatformGivesOneDigest) {
  struct Spellings {
    std::string arch;
    std::vector<std::string> names;
    Platform written;
  };
  std::vector<Spellings> all = {
      {"amd64",
       {"linux/amd64", "linux/amd64/v1", "linux/x86_64", "linux/x86-64", "LINUX/AMD64"},
       {"linux", "amd64", "", "", {}}},
      {"arm64",
       {"linux/arm64", "linux/arm64/v8", "linux/aarch64", "linux/arm64/8"},
       {"linux", "arm64", "v8", "", {}}},
      {"arm",
       {"linux/arm", "linux/arm/v7", "linux/arm/7", "linux/armhf"},
       {"linux", "arm", "v7", "", {}}},
      {"arm", {"linux/arm/v6", "linux/arm/6", "linux/armel"}, {"linux", "arm", "v6", "", {}}},
      {"386", {"linux/386", "linux/i386", "linux/i686"}, {"linux", "386", "", "", {}}},
      {"ppc64le", {"linux/ppc64le"}, {"linux", "ppc64le", "", "", {}}},
      {"s390x", {"linux/s390x"}, {"linux", "s390x", "", "", {}}},
      {"riscv64", {"linux/riscv64"}, {"linux", "riscv64", "", "", {}}},
  };
  for (const auto& s : all) {
    std::optional<Digest> first;
    for (const auto& name : s.names) {
      auto r = Build(name, s.arch);
      ASSERT_THAT(r, IsOk()) << name;
      if (!first) first = r->descriptor.digest;
      EXPECT_EQ(r->descriptor.digest, *first) << name << " vs " << s.names[0];
      ASSERT_EQ(r->images.size(), 1u);
      EXPECT_EQ(r->images[0].platform.ToString(), s.written.ToString()) << name;
      auto layout = OciLayout::Open(tmp_.path() + "/out");
      auto cfg = ImageConfig::Parse(*(*layout)->ReadAll(r->images[0].config.digest));
      ASSERT_THAT(cfg, IsOk());
      EXPECT_EQ(cfg->platform().ToString(), s.written.ToString()) << name;
    }
  }
}

// A layout base whose arm64 entry has no variant: the output is written
// canonically, the index entry and config agree, and both spellings give one digest.
TEST_F(ImageBuilderChecksTest, BaseSpellingDoesNotLeakIntoTheImage) {
  // A base with "linux/arm64" and no variant, made by hand from a build.
  BuildOptions b = options_;
  b.base = "scratch";
  b.binaries = {{"linux/arm64", Bin("arm64")}};
  b.output = "oci:" + tmp_.path() + "/base:b";
  auto built = BuildImage(b);
  ASSERT_THAT(built, IsOk());
  auto base = OciLayout::Open(tmp_.path() + "/base");
  ASSERT_THAT(base, IsOk());
  auto m = Manifest::Parse(*(*base)->ReadAll(built->descriptor.digest));
  auto cfg = ImageConfig::Parse(*(*base)->ReadAll(m->config.digest));
  cfg->variant.clear();
  std::string cbytes = cfg->Serialize();
  auto cdesc = (*base)->Put(media_type::kImageConfig, cbytes);
  ASSERT_THAT(cdesc, IsOk());
  m->config = *cdesc;
  auto mdesc = (*base)->Put(media_type::kImageManifest, m->Serialize());
  ASSERT_THAT(mdesc, IsOk());
  Index idx;
  idx.media_type = std::string(media_type::kImageIndex);
  Descriptor entry = *mdesc;
  entry.platform = Platform{"linux", "arm64", "", "", {}};
  idx.manifests = {entry};
  auto idesc = (*base)->Put(media_type::kImageIndex, idx.Serialize());
  ASSERT_THAT(idesc, IsOk());
  ASSERT_THAT((*base)->UpdateIndex({{*idesc, "novariant"}}), IsOk());

  options_.base = "oci:" + tmp_.path() + "/base:novariant";
  std::optional<Digest> first;
  for (const char* spelling : {"linux/arm64/v8", "linux/arm64"}) {
    auto r = Build(spelling, "arm64");
    ASSERT_THAT(r, IsOk()) << spelling;
    if (!first) first = r->descriptor.digest;
    EXPECT_EQ(r->descriptor.digest, *first) << spelling;
    auto out = OciLayout::Open(tmp_.path() + "/out");
    auto c = ImageConfig::Parse(*(*out)->ReadAll(r->images[0].config.digest));
    ASSERT_THAT(c, IsOk());
    EXPECT_EQ(c->variant, "v8");
    ASSERT_TRUE(r->images[0].manifest.platform.has_value());
    EXPECT_EQ(r->images[0].manifest.platform->variant, "v8");
  }
}

// The names of the directory entries in the shared layer of `r`.
std::set<std::string> SharedLayerDirs(const std::string& layout_dir, const BuildResult& r,
                                      size_t shared_index) {
  auto layout = OciLayout::Open(layout_dir);
  auto m = Manifest::Parse(*(*layout)->ReadAll(r.images[0].manifest.digest));
  std::set<std::string> dirs;
  archive::TarDirectoryScanner scanner(&dirs);
  auto reader = (*layout)->Open(m->layers.at(shared_index).digest);
  EXPECT_THAT(DecompressLayer(**reader, m->layers[shared_index].media_type, scanner), IsOk());
  EXPECT_THAT(scanner.Close(), IsOk());
  return dirs;
}

// The names in the shared layer of `r` with their ustar type flags
// ('0' file, '5' directory...); the layer's names are short (no pax).
std::map<std::string, char> SharedLayerEntries(const std::string& layout_dir, const BuildResult& r,
                                               size_t shared_index) {
  auto layout = OciLayout::Open(layout_dir);
  auto m = Manifest::Parse(*(*layout)->ReadAll(r.images[0].manifest.digest));
  ::ocib::testing::StringWriter tar;
  auto reader = (*layout)->Open(m->layers.at(shared_index).digest);
  EXPECT_THAT(DecompressLayer(**reader, m->layers[shared_index].media_type, tar), IsOk());
  std::map<std::string, char> out;
  for (size_t at = 0; at + 512 <= tar.bytes.size();) {
    const std::string_view h(tar.bytes.data() + at, 512);
    if (h[0] == '\0') break;
    std::string name(h.substr(0, 100).data(), strnlen(h.data(), 100));
    int64_t size = std::stoll(std::string(h.substr(124, 11)), nullptr, 8);
    out[name] = h[156];
    at += 512 + static_cast<size_t>((size + 511) / 512 * 512);
  }
  return out;
}

TEST_F(ImageBuilderChecksTest, DirectoriesTheBaseHasGetNoEntry) {
  options_.binaries = {{"linux/amd64", Bin("amd64")}};
  options_.files = {tmp_.path() + "/tree:/tmp", tmp_.path() + "/tree:/home/nonroot",
                    tmp_.path() + "/tree:/srv/new"};
  auto r = BuildImage(options_);
  ASSERT_THAT(r, IsOk());
  auto dirs = SharedLayerDirs(tmp_.path() + "/out", *r, 1);
  EXPECT_FALSE(dirs.contains("tmp"));
  EXPECT_FALSE(dirs.contains("home/nonroot"));
  EXPECT_TRUE(dirs.contains("srv/new"));  // not in the base: ocib's entry
  // Only directory entries are dropped: every file is there.
  auto entries = SharedLayerEntries(tmp_.path() + "/out", *r, 1);
  for (const char* file : {"tmp/x", "home/nonroot/x", "srv/new/x"}) {
    ASSERT_TRUE(entries.contains(file)) << file;
    EXPECT_EQ(entries[file], '0') << file;
  }

  // The same onto a layout base (the output above), and onto scratch.
  BuildOptions o = options_;
  o.base = "oci:" + tmp_.path() + "/out:v1";
  o.files = {tmp_.path() + "/tree:/srv/new", tmp_.path() + "/tree:/opt/more"};
  o.output = "oci:" + tmp_.path() + "/derived:v1";
  auto d = BuildImage(o);
  ASSERT_THAT(d, IsOk());
  auto ddirs = SharedLayerDirs(tmp_.path() + "/derived", *d, 3);
  EXPECT_FALSE(ddirs.contains("srv/new"));
  EXPECT_TRUE(ddirs.contains("opt/more"));
  o.base = "scratch";
  o.output = "oci:" + tmp_.path() + "/scratch:v1";
  auto s = BuildImage(o);
  ASSERT_THAT(s, IsOk());
  auto sdirs = SharedLayerDirs(tmp_.path() + "/scratch", *s, 0);
  EXPECT_TRUE(sdirs.contains("srv/new"));
}

// BuildOptions::events: one plan, then one event per new layer (the
// embedded base, the shared files, one per platform) whose digest and size
// are the layout's blobs; built on a cold cache, cached on a warm one; the
// bytes reported for a layer grow to its uncompressed size.
// The container config a build writes on every platform: the default
// entrypoint (the binary), --env replacing the base's PATH and adding,
// labels, ports, user, workdir, cmd; an empty --entrypoint clears it.
TEST_F(ImageBuilderChecksTest, TheConfigHasWhatTheOptionsSay) {
  options_.binaries = {{"linux/amd64", Bin("amd64")}, {"linux/arm64", Bin("arm64")}};
  options_.env = {"PATH=/app/bin", "MODE=prod"};
  options_.labels = {"tier=web"};
  options_.expose = {"8080", "53/udp"};
  options_.user = "1000:1000";
  options_.workdir = "/srv";
  options_.cmd = std::vector<std::string>{"serve", "--port=8080"};
  auto r = BuildImage(options_);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->images.size(), 2U);
  auto layout = OciLayout::Open(tmp_.path() + "/out");
  ASSERT_THAT(layout, IsOk());
  for (const PlatformImage& img : r->images) {
    auto bytes = (*layout)->ReadAll(img.config.digest);
    ASSERT_THAT(bytes, IsOk());
    auto cfg = ImageConfig::Parse(*bytes);
    ASSERT_THAT(cfg, IsOk());
    const ContainerConfig& c = cfg->config;
    ASSERT_TRUE(c.entrypoint.has_value()) << img.platform.ToString();
    EXPECT_EQ(*c.entrypoint, std::vector<std::string>{"/app"});
    ASSERT_TRUE(c.cmd.has_value());
    EXPECT_EQ(*c.cmd, (std::vector<std::string>{"serve", "--port=8080"}));
    EXPECT_EQ(std::count(c.env.begin(), c.env.end(), "PATH=/app/bin"), 1);
    EXPECT_EQ(std::count_if(c.env.begin(), c.env.end(),
                            [](const std::string& e) { return e.rfind("PATH=", 0) == 0; }),
              1);
    EXPECT_NE(std::find(c.env.begin(), c.env.end(), "MODE=prod"), c.env.end());
    EXPECT_EQ(c.labels.at("tier"), "web");
    EXPECT_EQ(c.exposed_ports, (std::set<std::string>{"53/udp", "8080/tcp"}));
    EXPECT_EQ(c.user, "1000:1000");
    EXPECT_EQ(c.working_dir, "/srv");
  }
  options_.entrypoint = std::vector<std::string>{};
  options_.output = "oci:" + tmp_.path() + "/out:noentry";
  auto cleared = BuildImage(options_);
  ASSERT_THAT(cleared, IsOk());
  auto layout2 = OciLayout::Open(tmp_.path() + "/out");
  ASSERT_THAT(layout2, IsOk());
  auto bytes = (*layout2)->ReadAll(cleared->images[0].config.digest);
  ASSERT_THAT(bytes, IsOk());
  auto cfg = ImageConfig::Parse(*bytes);
  ASSERT_THAT(cfg, IsOk());
  EXPECT_FALSE(cfg->config.entrypoint.has_value());
}

TEST_F(ImageBuilderChecksTest, EventsReportEveryNewLayer) {
  WriteFileOrDie(tmp_.path() + "/big", std::string(3 << 20, 'x'));
  options_.binaries = {{"linux/amd64", Bin("amd64")}, {"linux/arm64", Bin("arm64")}};
  options_.files = {tmp_.path() + "/big:/data/big"};
  options_.no_cache = false;
  options_.cache_dir = tmp_.path() + "/cache";
  struct Seen {
    std::mutex mu;
    std::vector<TransferPlan> plans;
    std::vector<LayerEvent> layers;
    std::map<int, std::vector<int64_t>> bytes;
  };
  auto run = [&](const std::string& tag, Seen& seen) {
    BuildOptions o = options_;
    o.output = "oci:" + tmp_.path() + "/out:" + tag;
    o.events.on_plan = [&seen](const TransferPlan& p) {
      std::lock_guard<std::mutex> lock(seen.mu);
      seen.plans.push_back(p);
    };
    o.events.on_bytes = [&seen](int index, int64_t done, int64_t /*total*/) {
      std::lock_guard<std::mutex> lock(seen.mu);
      seen.bytes[index].push_back(done);
    };
    o.events.on_layer = [&seen](const LayerEvent& e) {
      std::lock_guard<std::mutex> lock(seen.mu);
      seen.layers.push_back(e);
    };
    return BuildImage(o);
  };
  Seen cold;
  auto r = run("cold", cold);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(cold.plans.size(), 1U);
  EXPECT_EQ(cold.plans[0].blobs, 4);  // base, shared, two platforms
  EXPECT_GE(cold.plans[0].bytes, 3 << 20);
  ASSERT_EQ(cold.layers.size(), 4U);
  std::set<int> indexes;
  for (const LayerEvent& e : cold.layers) {
    indexes.insert(e.index);
    EXPECT_EQ(e.action, BlobAction::kBuilt);
    EXPECT_GE(e.seconds, 0);
    const std::string blob = tmp_.path() + "/out/blobs/sha256/" + e.digest.encoded();
    ASSERT_TRUE(std::filesystem::is_regular_file(blob)) << blob;
    EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(blob)), e.size);
    // Every layer's bytes grow and end at its tar's size.
    const std::vector<int64_t>& done = cold.bytes[e.index];
    ASSERT_FALSE(done.empty()) << "layer " << e.index;
    EXPECT_TRUE(std::is_sorted(done.begin(), done.end()));
    EXPECT_EQ(done.back(), e.uncompressed_size);
  }
  EXPECT_EQ(indexes, (std::set<int>{0, 1, 2, 3}));
  // The shared layer (index 1) reported as it went, not only at the end.
  EXPECT_GE(cold.bytes[1].size(), 3U);
  EXPECT_EQ(r->layers_compressed, 4);

  Seen warm;
  auto w = run("warm", warm);
  ASSERT_THAT(w, IsOk());
  ASSERT_EQ(warm.layers.size(), 4U);
  for (const LayerEvent& e : warm.layers) EXPECT_EQ(e.action, BlobAction::kCached);
  EXPECT_TRUE(warm.bytes.empty());
  ASSERT_EQ(warm.plans.size(), 1U);
  // A cached layer's size is known exactly.
  int64_t tars = 0;
  for (const LayerEvent& e : cold.layers) tars += e.uncompressed_size;
  EXPECT_EQ(warm.plans[0].bytes, tars);
  EXPECT_EQ(w->descriptor.digest, r->descriptor.digest);
}

// ---- BuildImage end to end: platforms, base layouts, refusals ---------------

class BuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFileOrDie(tmp_.path() + "/bin-amd64", std::string(5000, 'a'));
    WriteFileOrDie(tmp_.path() + "/bin-arm64", std::string(5000, 'b'));
    WriteFileOrDie(tmp_.path() + "/conf/app.conf", "x=1\n");
    options_.binaries = {{"linux/amd64", tmp_.path() + "/bin-amd64"},
                         {"linux/arm64", tmp_.path() + "/bin-arm64"}};
    options_.files = {tmp_.path() + "/conf:/etc/app"};
    options_.output = "oci:" + tmp_.path() + "/out:v1";
    options_.source_date_epoch = 1700000000;
    options_.binary_unchecked = true;  // stand-in bytes, not executables
  }
  ScopedTempDir tmp_;
  BuildOptions options_;
};

TEST_F(BuilderTest, TwoPlatformsGiveAnIndexWithASharedLayer) {
  auto r = BuildImage(options_);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->descriptor.media_type, media_type::kImageIndex);
  ASSERT_EQ(r->images.size(), 2u);
  auto layout = OciLayout::Open(tmp_.path() + "/out");
  ASSERT_THAT(layout, IsOk());
  std::vector<Manifest> ms;
  for (const auto& img : r->images) {
    auto m = Manifest::Parse(*(*layout)->ReadAll(img.manifest.digest));
    ASSERT_THAT(m, IsOk());
    ASSERT_EQ(m->layers.size(), 3u);  // base, shared, binary
    auto cfg = ImageConfig::Parse(*(*layout)->ReadAll(m->config.digest));
    ASSERT_THAT(cfg, IsOk());
    EXPECT_EQ(cfg->created, "2023-11-14T22:13:20Z");
    EXPECT_EQ(cfg->config.user, "65532:65532");
    EXPECT_EQ(cfg->history.size(), 3u);
    ms.push_back(*m);
  }
  EXPECT_EQ(ms[0].layers[1].digest, ms[1].layers[1].digest) << "the shared layer is shared";
  EXPECT_EQ(ms[0].layers[0].digest, ms[1].layers[0].digest) << "the base layer is shared";
  EXPECT_NE(ms[0].layers[2].digest, ms[1].layers[2].digest);
  EXPECT_EQ(r->images[1].platform.ToString(), "linux/arm64/v8");
  auto v = ValidateLayout(tmp_.path() + "/out");
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->problems.empty());
}

TEST_F(BuilderTest, OnePlatformGivesAManifest) {
  options_.binaries.pop_back();
  auto r = BuildImage(options_);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->descriptor.media_type, media_type::kImageManifest);
  ASSERT_EQ(r->images.size(), 1u);
  EXPECT_EQ(r->images[0].manifest.digest, r->descriptor.digest);
  auto layout = OciLayout::Open(tmp_.path() + "/out");
  ASSERT_THAT(layout, IsOk());
  auto tagged = (*layout)->Resolve("v1");
  ASSERT_THAT(tagged, IsOk());
  EXPECT_EQ(tagged->digest, r->descriptor.digest);
  auto bytes = (*layout)->ReadAll(r->descriptor.digest);
  ASSERT_THAT(bytes, IsOk());
  auto m = Manifest::Parse(*bytes);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->config.media_type, media_type::kImageConfig);
  ASSERT_EQ(m->layers.size(), 3u);  // base, shared, binary
  for (const auto& layer : m->layers) {
    EXPECT_EQ(layer.media_type, media_type::kLayerTarZstd);  // the default
    EXPECT_GT(layer.size, 0);
  }
  auto cfg_bytes = (*layout)->ReadAll(m->config.digest);
  ASSERT_THAT(cfg_bytes, IsOk());
  auto cfg = ImageConfig::Parse(*cfg_bytes);
  ASSERT_THAT(cfg, IsOk());
  EXPECT_EQ(cfg->os, "linux");
  EXPECT_EQ(cfg->architecture, "amd64");
  EXPECT_EQ(cfg->diff_ids.size(), m->layers.size());
  EXPECT_EQ(cfg->history.size(), m->layers.size());
  EXPECT_EQ(cfg->created, "2023-11-14T22:13:20Z");
  EXPECT_EQ(r->images[0].platform.ToString(), "linux/amd64");
  auto v = ValidateLayout(tmp_.path() + "/out");
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->problems.empty());
}

TEST_F(BuilderTest, BadInputLeavesLayoutUnchanged) {
  ASSERT_THAT(BuildImage(options_), IsOk());
  auto before = Snapshot(tmp_.path() + "/out");
  struct Case {
    std::string name;
    std::function<void(BuildOptions&)> mutate;
    ErrorCode code;
    std::string message;
  };
  std::vector<Case> cases = {
      {"missing binary", [&](BuildOptions& o) { o.binaries[0].second = tmp_.path() + "/nope"; },
       ErrorCode::kNotFound, "nope"},
      {"directory binary", [&](BuildOptions& o) { o.binaries[0].second = tmp_.path() + "/conf"; },
       ErrorCode::kInvalidArgument, "is a directory"},
      {"platform without binary",
       [](BuildOptions& o) { o.platforms = {"linux/amd64,linux/arm64,linux/s390x"}; },
       ErrorCode::kInvalidArgument, "linux/s390x has no binary"},
      {"unknown platform", [](BuildOptions& o) { o.binaries[0].first = "linux/amd46"; },
       ErrorCode::kInvalidArgument, "amd46"},
      {"escaping file", [&](BuildOptions& o) { o.files = {tmp_.path() + "/conf:../x"}; },
       ErrorCode::kInvalidArgument, "escapes"},
      {"escaping file abs", [&](BuildOptions& o) { o.files = {tmp_.path() + "/conf:/../x"}; },
       ErrorCode::kInvalidArgument, "escapes"},
      {"bad env", [](BuildOptions& o) { o.env = {"NOEQUALS"}; }, ErrorCode::kInvalidArgument,
       "KEY=VALUE"},
      {"bad port", [](BuildOptions& o) { o.expose = {"99999"}; }, ErrorCode::kInvalidArgument,
       "port"},
      {"bad base", [](BuildOptions& o) { o.base = "oci:/nonexistent/ocib"; }, ErrorCode::kNotFound,
       "oci-layout"},
  };
  for (const auto& c : cases) {
    BuildOptions o = options_;
    o.output = "oci:" + tmp_.path() + "/out:other";
    c.mutate(o);
    EXPECT_THAT(BuildImage(o), StatusIs(c.code, HasSubstr(c.message))) << c.name;
    EXPECT_EQ(Snapshot(tmp_.path() + "/out"), before) << c.name;
  }
}

TEST_F(BuilderTest, CorruptIndexIsReportedAndKept) {
  ASSERT_THAT(BuildImage(options_), IsOk());
  WriteFileOrDie(tmp_.path() + "/out/index.json", "{\"schemaVersion\":2,");
  auto before = Snapshot(tmp_.path() + "/out");
  EXPECT_THAT(BuildImage(options_), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("index.json")));
  EXPECT_EQ(Snapshot(tmp_.path() + "/out"), before);
}

TEST_F(BuilderTest, BaseFromLayoutReusesItsBlobs) {
  BuildOptions base = options_;
  base.files.clear();
  base.output = "oci:" + tmp_.path() + "/base:b";
  ASSERT_THAT(BuildImage(base), IsOk());
  options_.base = "oci:" + tmp_.path() + "/base:b";
  auto r = BuildImage(options_);
  ASSERT_THAT(r, IsOk());
  auto layout = OciLayout::Open(tmp_.path() + "/out");
  auto blayout = OciLayout::Open(tmp_.path() + "/base");
  for (size_t i = 0; i < 2; ++i) {
    auto m = Manifest::Parse(*(*layout)->ReadAll(r->images[i].manifest.digest));
    ASSERT_THAT(m, IsOk());
    ASSERT_EQ(m->layers.size(), 4u);  // base's 2 + shared + binary
    EXPECT_TRUE(*(*blayout)->Has(m->layers[0].digest));
    EXPECT_TRUE(*(*blayout)->Has(m->layers[1].digest));
    EXPECT_EQ(m->annotations.count("org.opencontainers.image.base.digest"), 1u);
  }
  EXPECT_EQ(r->images[1].platform.variant, "v8");
}

TEST(SourceDateEpochTest, Parse) {
  EXPECT_EQ(*ParseSourceDateEpoch("1700000000"), 1700000000);
  EXPECT_THAT(ParseSourceDateEpoch(""), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ParseSourceDateEpoch("-1"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("whole number")));
  EXPECT_THAT(ParseSourceDateEpoch("1.5"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("whole number")));
  EXPECT_THAT(ParseSourceDateEpoch("99999999999999999999"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("large")));
}

}  // namespace
}  // namespace ocib
