// env::Get (lib/core/env.h) and the readers that go through it: the
// process environment by default, a ScopedEnvironment's variables while
// one is alive (so the cache directory and temporary directory rules can
// be tested without touching the process's own environment).
#include "lib/core/env.h"

#include <gtest/gtest.h>

#include "ocib/layer_cache.h"

#include "lib/io/fs_util.h"

namespace ocib::env {
namespace {

using Vars = std::map<std::string, std::string>;

TEST(EnvTest, ReadsTheProcessEnvironment) {
  ASSERT_EQ(::setenv("OCIB_ENV_TEST_SET", "v", 1), 0);
  ASSERT_EQ(::setenv("OCIB_ENV_TEST_EMPTY", "", 1), 0);
  ::unsetenv("OCIB_ENV_TEST_UNSET");
  EXPECT_EQ(Get("OCIB_ENV_TEST_SET"), "v");
  EXPECT_EQ(Get("OCIB_ENV_TEST_EMPTY"), "");
  EXPECT_EQ(Get("OCIB_ENV_TEST_UNSET"), std::nullopt);
  EXPECT_EQ(GetOr("OCIB_ENV_TEST_EMPTY", "fb"), "fb");
  EXPECT_EQ(GetOr("OCIB_ENV_TEST_UNSET", "fb"), "fb");
  EXPECT_EQ(GetOr("OCIB_ENV_TEST_SET", "fb"), "v");
}

TEST(EnvTest, AScopedEnvironmentReplacesItWhileAlive) {
  ASSERT_EQ(::setenv("OCIB_ENV_TEST_SET", "process", 1), 0);
  {
    ScopedEnvironment scoped(Vars{{"OCIB_ENV_TEST_ONLY", "injected"}});
    EXPECT_EQ(Get("OCIB_ENV_TEST_ONLY"), "injected");
    EXPECT_EQ(Get("OCIB_ENV_TEST_SET"), std::nullopt);  // not in the injected set
  }
  EXPECT_EQ(Get("OCIB_ENV_TEST_SET"), "process");
  EXPECT_EQ(Get("OCIB_ENV_TEST_ONLY"), std::nullopt);
}

TEST(EnvTest, TheCacheDirectoryRules) {
  {
    ScopedEnvironment scoped(Vars{{"XDG_CACHE_HOME", "/x/cache"}, {"HOME", "/home/u"}});
    EXPECT_EQ(LayerCache::DefaultDir().value_or(""), "/x/cache/ocib");
  }
  {
    // A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
    ScopedEnvironment scoped(Vars{{"XDG_CACHE_HOME", "rel"}, {"HOME", "/home/u"}});
    EXPECT_EQ(LayerCache::DefaultDir().value_or(""), "/home/u/.cache/ocib");
  }
  {
    ScopedEnvironment scoped(Vars{{"HOME", "relative"}});
    auto dir = LayerCache::DefaultDir();
    ASSERT_FALSE(dir.has_value());
    // The library names no flag: the CLI adds "--cache-dir DIR, or --no-cache".
    EXPECT_NE(dir.error().ToString().find("give a cache directory"), std::string::npos);
  }
}

TEST(EnvTest, TheTemporaryDirectory) {
  {
    ScopedEnvironment scoped(Vars{{"TMPDIR", "/scratch"}});
    EXPECT_EQ(fsutil::TempDir(), "/scratch");
  }
  {
    ScopedEnvironment scoped(Vars{{"TMPDIR", ""}});
    EXPECT_EQ(fsutil::TempDir(), "/tmp");
  }
  ScopedEnvironment scoped(Vars{});
  EXPECT_EQ(fsutil::TempDir(), "/tmp");
}

}  // namespace
}  // namespace ocib::env
