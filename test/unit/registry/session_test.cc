// The registry session: retries decided on the transport failure's kind,
// backoff and Retry-After, response limits, token scopes, and errors that
// keep the registry's words.
#include <algorithm>
#include <cstdio>
#include <ctime>

#include <gtest/gtest.h>

#include "ocib/registry.h"

#include "test/unit/registry/scripted_transport.h"

namespace ocib {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;
using testing::OptionsWith;
using testing::Reply;
using testing::ScriptedTransport;
using testing::Seen;

const std::string kEmpty = "{}";

HttpResponse ManifestReply() {
  return Reply(200,
               {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"},
                {"Docker-Content-Digest", Digest::Sha256Of(kEmpty).ToString()}},
               kEmpty);
}

TEST(SessionTest, RegistryRestartingForTenSecondsIsSurvived) {
  FakeClock clock;
  const auto down_until = clock.now + std::chrono::seconds(10);
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (clock.now < down_until) {
      return {TransportFailure::kConnect, Error(ErrorCode::kUnavailable, "refused")};
    }
    if (s.url == "https://reg.test/v2/") return Reply(200);
    return ManifestReply();
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  auto m = (*c)->GetManifest("app", "1");
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_GE(clock.Slept(), std::chrono::seconds(10));
}

TEST(SessionTest, BackoffGrowsWithJitterWithinBounds) {
  RetryPolicy p;
  for (int attempt = 1; attempt < 10; ++attempt) {
    milliseconds ceiling = std::min(p.max_backoff, p.initial_backoff * (1 << (attempt - 1)));
    EXPECT_EQ(p.Backoff(attempt, 0.0), ceiling / 2);
    EXPECT_LE(p.Backoff(attempt, 0.999), ceiling);
    EXPECT_GT(p.Backoff(attempt, 0.999), p.Backoff(attempt, 0.0));
  }
  // The least the default policy waits before giving up.
  milliseconds least{0};
  for (int a = 1; a < p.max_attempts; ++a) least += p.Backoff(a, 0.0);
  EXPECT_GT(least, std::chrono::seconds(10));
}

TEST(SessionTest, RetryDecidedOnTheFailureKindNotItsText) {
  struct Case {
    TransportFailure kind;
    bool retried;
  };
  for (Case k :
       {Case{TransportFailure::kReset, true}, Case{TransportFailure::kTimeout, true},
        Case{TransportFailure::kConnect, true}, Case{TransportFailure::kDns, false},
        Case{TransportFailure::kTlsCertificate, false}, Case{TransportFailure::kTooLarge, false}}) {
    FakeClock clock;
    int calls = 0;
    auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
      if (s.url == "https://reg.test/v2/") return Reply(200);
      if (++calls == 1) {
        // The text says "network:" whatever the kind: it must not matter.
        return {k.kind, Error(ErrorCode::kUnavailable, "network: something")};
      }
      return ManifestReply();
    });
    auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
    auto m = (*c)->GetManifest("app", "1");
    EXPECT_EQ(m.has_value(), k.retried) << TransportFailureName(k.kind);
    EXPECT_EQ(calls, k.retried ? 2 : 1) << TransportFailureName(k.kind);
  }
}

TEST(SessionTest, RetryAfterHttpDateIsHonoured) {
  FakeClock clock;
  int calls = 0;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    // 2026-01-01T00:00:07Z: 7 s after the fake clock's start.
    if (++calls == 1) return Reply(503, {{"Retry-After", "Thu, 01 Jan 2026 00:00:07 GMT"}});
    return ManifestReply();
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  auto m = (*c)->GetManifest("app", "1");
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  ASSERT_EQ(clock.sleeps.size(), 1u);
  EXPECT_EQ(clock.sleeps[0], milliseconds(7000));
}

TEST(SessionTest, RetryAfterIsBounded) {
  FakeClock clock;
  int calls = 0;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (++calls == 1) return Reply(429, {{"Retry-After", "86400"}});
    return ManifestReply();
  });
  RegistryOptions o = OptionsWith(t, &clock);
  o.retry.max_retry_after = milliseconds(3000);
  auto c = RegistryClient::Create("reg.test", o);
  ASSERT_TRUE((*c)->GetManifest("app", "1").has_value());
  ASSERT_EQ(clock.sleeps.size(), 1u);
  EXPECT_EQ(clock.sleeps[0], milliseconds(3000));
}

// HTTP dates of every month (first and last day, a leap day, years either
// side of a century) against the C library's timegm: 10 s from now each.
TEST(SessionTest, ParseRetryAfterDatesAgreeWithTimegm) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static const int kLast[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int year : {1999, 2000, 2024, 2026, 2100}) {
    for (int m = 1; m <= 12; ++m) {
      const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
      for (int day : {1, kLast[m - 1] + (m == 2 && leap ? 1 : 0)}) {
        std::tm tm{};
        tm.tm_year = year - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = day;
        tm.tm_hour = 12;
        const std::time_t t = ::timegm(&tm);
        char text[64];
        std::snprintf(text, sizeof text, "Mon, %02d %s %d 12:00:00 GMT", day, kMonths[m - 1], year);
        const auto now = std::chrono::system_clock::from_time_t(t - 10);
        EXPECT_EQ(ParseRetryAfter(text, now), milliseconds(10000)) << text;
      }
    }
  }
}

TEST(SessionTest, ParseRetryAfterForms) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  EXPECT_EQ(ParseRetryAfter("5", now), milliseconds(5000));
  EXPECT_EQ(ParseRetryAfter(" 5 ", now), milliseconds(5000));
  EXPECT_EQ(ParseRetryAfter("99999999999999999999", now), std::chrono::hours(24));
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 2026 00:01:00 GMT", now), milliseconds(60000));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Fri, 01 Jan 9999 00:00:00 GMT", now), std::chrono::hours(24));
  EXPECT_FALSE(ParseRetryAfter("", now));
  EXPECT_FALSE(ParseRetryAfter("-5", now));
  EXPECT_FALSE(ParseRetryAfter("1.5", now));
  EXPECT_FALSE(ParseRetryAfter("Thu, 01 Foo 2026 00:01:00 GMT", now));
  EXPECT_FALSE(ParseRetryAfter("Thu, 32 Jan 2026 00:01:00 GMT", now));
  EXPECT_FALSE(ParseRetryAfter("Thu, 01 Jan 2026 25:01:00 GMT", now));
  // Each field at its bounds: hour 23, minute 59, second 60 (a leap
  // second) are dates; hour 24, minute 60, second 61 are not.
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 2026 23:59:60 GMT", now),
            milliseconds((23 * 3600 + 59 * 60 + 60) * 1000));
  EXPECT_FALSE(ParseRetryAfter("Thu, 01 Jan 2026 24:00:00 GMT", now));
  EXPECT_FALSE(ParseRetryAfter("Thu, 01 Jan 2026 00:60:00 GMT", now));
  EXPECT_FALSE(ParseRetryAfter("Thu, 01 Jan 2026 00:00:61 GMT", now));
  EXPECT_FALSE(ParseRetryAfter("Thu, 00 Jan 2026 00:00:00 GMT", now));
  EXPECT_TRUE(ParseRetryAfter("Sat, 31 Jan 2026 00:00:00 GMT", now));
  EXPECT_FALSE(ParseRetryAfter("Thu, 01 Jan 2026 00:01:00 UTC", now));
  EXPECT_FALSE(ParseRetryAfter(std::string_view("5\0", 2), now));
}

TEST(SessionTest, ResponsesAreBoundedByKind) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") {
      return Reply(401, {{"WWW-Authenticate", R"(Bearer realm="https://auth.test/token")"}});
    }
    if (s.url.rfind("https://auth.test/", 0) == 0) return Reply(200, {}, R"({"token":"t"})");
    return ManifestReply();
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  ASSERT_TRUE((*c)->GetManifest("app", "1").has_value());
  auto seen = t->seen();
  bool token = false;
  bool manifest = false;
  for (const Seen& s : seen) {
    if (s.url.rfind("https://auth.test/", 0) == 0) {
      token = true;
      EXPECT_EQ(s.max_body_bytes, int64_t{1} << 20);
    } else if (s.url.find("/manifests/") != std::string::npos) {
      manifest = true;
      EXPECT_EQ(s.max_body_bytes, int64_t{4} << 20);
    }
  }
  EXPECT_TRUE(token);
  EXPECT_TRUE(manifest);
}

TEST(SessionTest, InsufficientScopeAsksForTheNewScopeFirstThenTheHeldOnes) {
  FakeClock clock;
  std::vector<std::string> token_queries;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") {
      return Reply(401, {{"WWW-Authenticate", R"(Bearer realm="https://auth.test/token")"}});
    }
    if (s.url.rfind("https://auth.test/", 0) == 0) {
      token_queries.push_back(s.url.substr(s.url.find('?') + 1));
      return Reply(200, {}, R"({"token":"t)" + std::to_string(token_queries.size()) + R"("})");
    }
    if (s.Header("Authorization") == "Bearer t1") {
      return Reply(401, {{"WWW-Authenticate", R"(Bearer realm="https://auth.test/token",)"
                                              R"(scope="repository:base:pull",)"
                                              R"(error="insufficient_scope")"}});
    }
    return ManifestReply();
  });
  RegistryOptions o = OptionsWith(t, &clock);
  std::vector<std::string> log;
  o.log = [&log](std::string_view line) { log.emplace_back(line); };
  auto c = RegistryClient::Create("reg.test", o);
  ASSERT_TRUE((*c)->GetManifest("app", "1").has_value());
  // The retry with new credentials is logged (with -v), naming the request.
  EXPECT_EQ(
      std::count(log.begin(), log.end(),
                 "401 from https://reg.test/v2/app/manifests/1; retrying with new credentials"),
      1)
      << ::testing::PrintToString(log);
  ASSERT_EQ(token_queries.size(), 2u);
  EXPECT_EQ(token_queries[0], "scope=repository%3Aapp%3Apull");
  EXPECT_EQ(token_queries[1], "scope=repository%3Abase%3Apull&scope=repository%3Aapp%3Apull");
}

TEST(SessionTest, ChallengeScopeCoveredByAHeldOneIsNotAddedAgain) {
  FakeClock clock;
  std::vector<std::string> token_queries;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.url.rfind("https://auth.test/", 0) == 0) {
      token_queries.push_back(s.url.substr(s.url.find('?') + 1));
      return Reply(200, {}, R"({"token":"t"})");
    }
    if (s.Header("Authorization").empty()) {
      return Reply(401, {{"WWW-Authenticate", R"(Bearer realm="https://auth.test/token",)"
                                              R"(scope="repository:app:pull")"}});
    }
    return Reply(404);
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  (*c)->SetScopes({"app"}, {});
  ASSERT_TRUE((*c)->StatBlob("app", Digest::Sha256Of("x")).has_value());
  ASSERT_EQ(token_queries.size(), 1u);
  EXPECT_EQ(token_queries[0], "scope=repository%3Aapp%3Apull%2Cpush");
}

// The token a push asks for: push on its repositories (the request's own
// first), pull on each source it may mount from, once, and none twice.
TEST(SessionTest, TheTokenCoversEveryPushAndMountSourceOnce) {
  FakeClock clock;
  std::vector<std::string> token_queries;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") {
      return Reply(401, {{"WWW-Authenticate", R"(Bearer realm="https://auth.test/token")"}});
    }
    if (s.url.rfind("https://auth.test/", 0) == 0) {
      token_queries.push_back(s.url.substr(s.url.find('?') + 1));
      return Reply(200, {}, R"({"token":"t"})");
    }
    return Reply(404);
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  (*c)->SetScopes({"app", "app2"}, {"base", "app2", "base", "lib"});
  ASSERT_TRUE((*c)->StatBlob("app", Digest::Sha256Of("x")).has_value());
  ASSERT_EQ(token_queries.size(), 1u);
  EXPECT_EQ(token_queries[0],
            "scope=repository%3Aapp%3Apull%2Cpush&scope=repository%3Aapp2%3Apull%2Cpush"
            "&scope=repository%3Abase%3Apull&scope=repository%3Alib%3Apull");
}

TEST(SessionTest, RefusedManifestKeepsEveryErrorAndNamesWhatWasPushed) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    return Reply(400, {}, R"({"errors":[
      {"code":"MANIFEST_INVALID","message":"manifest invalid","detail":"layer 2: unknown media type"},
      {"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry",
       "detail":{"digest":"sha256:abc"}}]})");
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  const std::string mt = "application/vnd.oci.image.manifest.v1+json";
  auto r = (*c)->PutManifest("team/app", "v1", mt, kEmpty);
  ASSERT_FALSE(r.has_value());
  std::string text = r.error().ToString();
  for (const char* want : {"MANIFEST_INVALID", "manifest invalid", "layer 2: unknown media type",
                           "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", "sha256:abc",
                           "reg.test/team/app:v1", "application/vnd.oci.image.manifest.v1+json"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << " not in: " << text;
  }
}

// Credentials per repository: the keychain's most specific entry is the one
// sent, to the registry (Basic) and to its token server.
TEST(SessionTest, EachRepositoryGetsItsOwnCredential) {
  FakeClock clock;
  std::map<std::string, std::string> authz;  // repository -> Authorization
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") {
      return Reply(401, {{"WWW-Authenticate", R"(Basic realm="reg")"}});
    }
    const std::string repo = s.url.substr(20, s.url.find("/manifests/") - 20);
    authz[repo] = s.Header("Authorization");
    return ManifestReply();
  });
  auto c =
      RegistryClient::Create("reg.test", OptionsWith(t, &clock,
                                                     {{"reg.test", {"everyone", "pw1", "", ""}},
                                                      {"reg.test/team", {"team", "pw2", "", ""}}}));
  ASSERT_TRUE((*c)->GetManifest("team/app", "1").has_value());
  ASSERT_TRUE((*c)->GetManifest("other/app", "1").has_value());
  ASSERT_TRUE((*c)->GetManifest("teamx/app", "1").has_value());
  EXPECT_EQ(authz["team/app"], "Basic dGVhbTpwdzI=");       // team:pw2
  EXPECT_EQ(authz["other/app"], "Basic ZXZlcnlvbmU6cHcx");  // everyone:pw1
  EXPECT_EQ(authz["teamx/app"], "Basic ZXZlcnlvbmU6cHcx");
}

// 401 (who are you?) and 403 (you may not) are told apart, and so is a
// token that lacks the push scope after the one refresh.
TEST(SessionTest, NotAllowedIsToldApartFromRejectedCredentials) {
  struct Case {
    const char* name;
    int status;
    const char* challenge;
    ErrorCode code;
    const char* says;
  };
  const Case cases[] = {
      {"403", 403, "", ErrorCode::kPermissionDenied,
       "were accepted but may not push to reg.test/team/app"},
      {"401 insufficient_scope", 401,
       R"(Bearer realm="https://auth.test/token",scope="repository:team/app:pull,push",)"
       R"(error="insufficient_scope")",
       ErrorCode::kPermissionDenied, "were accepted but may not push to reg.test/team/app"},
      {"401", 401, R"(Bearer realm="https://auth.test/token")", ErrorCode::kUnauthenticated,
       "credentials for reg.test rejected"},
  };
  for (const Case& k : cases) {
    FakeClock clock;
    auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
      if (s.url == "https://reg.test/v2/") {
        return Reply(401, {{"WWW-Authenticate", R"(Bearer realm="https://auth.test/token")"}});
      }
      if (s.url.rfind("https://auth.test/", 0) == 0) return Reply(200, {}, R"({"token":"t"})");
      std::vector<HttpHeader> h;
      if (*k.challenge != '\0') h.push_back({"WWW-Authenticate", k.challenge});
      return Reply(
          k.status, h,
          R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})");
    });
    auto c = RegistryClient::Create("reg.test",
                                    OptionsWith(t, &clock, {{"reg.test", {"u", "p", "", ""}}}));
    auto r =
        (*c)->PutManifest("team/app", "v1", "application/vnd.oci.image.manifest.v1+json", kEmpty);
    ASSERT_FALSE(r.has_value()) << k.name;
    EXPECT_EQ(r.error().code(), k.code) << k.name << ": " << r.error().ToString();
    EXPECT_NE(r.error().ToString().find(k.says), std::string::npos)
        << k.name << ": " << r.error().ToString();
    EXPECT_NE(r.error().ToString().find("DENIED"), std::string::npos) << k.name;
  }
}

TEST(SessionTest, AnonymousPushRefusedSaysLogIn) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    return Reply(403);
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  auto r = (*c)->PutManifest("app", "v1", "application/vnd.oci.image.manifest.v1+json", kEmpty);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(r.error().ToString().find(
                "anonymous users may not push to reg.test/app; run ocib login reg.test"),
            std::string::npos)
      << r.error().ToString();
}

TEST(SessionTest, TokenServerRefusingThePushScopeSaysNotAllowed) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") {
      return Reply(401, {{"WWW-Authenticate", R"(Bearer realm="https://auth.test/token")"}});
    }
    if (s.url.rfind("https://auth.test/", 0) == 0) return Reply(403, {}, "push not allowed");
    return Reply(500);
  });
  auto c = RegistryClient::Create("reg.test",
                                  OptionsWith(t, &clock, {{"reg.test", {"u", "p", "", ""}}}));
  (*c)->SetScopes({"team/app"}, {});
  auto r =
      (*c)->PutManifest("team/app", "v1", "application/vnd.oci.image.manifest.v1+json", kEmpty);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied) << r.error().ToString();
  EXPECT_NE(r.error().ToString().find("may not push to reg.test/team/app"), std::string::npos)
      << r.error().ToString();
}

}  // namespace
}  // namespace ocib
