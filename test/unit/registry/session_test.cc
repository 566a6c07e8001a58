// The registry session: retries decided on the transport failure's kind,
// backoff and Retry-After, response limits, token scopes, and errors that
// keep the registry's words.
#include <algorithm>
#include <cstdio>
#include <ctime>

#include <gtest/gtest.h>

#include "ocib/memory_store.h"
#include "ocib/registry.h"

#include "lib/auth/base64.h"
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

// Connection failures for ten seconds are retried through; the client slept at least that long.
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

// Backoff doubles up to its ceiling, jitter stays within half to all of it, and the default waits
// over 10 s in all.
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

// Resets, timeouts and refused connections are retried; DNS, certificate and size failures are not.
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

// A Retry-After HTTP date is waited for exactly, measured from the client's clock.
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

// A Retry-After beyond max_retry_after waits only the maximum.
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

// ParseRetryAfter takes seconds and the three HTTP date forms and refuses the rest.
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

// Token answers are limited to 1 MiB and manifests to 4 MiB.
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

// An insufficient_scope challenge asks for the new scope first, then the held ones, and logs the
// retry once.
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

// A challenge scope already covered by pull,push is not asked for again.
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

// A refused manifest's error keeps every registry error with its detail and names the reference and
// media type.
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

// A 403 to an anonymous push is kPermissionDenied telling the user to log in.
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

// A token server refusing the push scope is kPermissionDenied naming the repository.
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

// ------------------------------------------------ moved from registry_client_test.cc:
// bearer tokens, retries, the scheme probe, late challenges and redirects,
// all decided in lib/registry/session.cc.

const std::string kBlob = "hello blob";

// A bearer token is fetched once with the credentials and reused for later requests.
TEST(SessionTest, BearerTokenFetchedOnceAndSentOnlyToRegistry) {
  FakeClock clock;
  int token_fetches = 0;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") {
      return Reply(401, {{"WWW-Authenticate",
                          "Bearer realm=\"https://auth.test/token\",service=\"reg.test\""}});
    }
    if (s.url.rfind("https://auth.test/token", 0) == 0) {
      ++token_fetches;
      EXPECT_EQ(s.Header("Authorization"), "Basic " + Base64Encode("user:secret"));
      EXPECT_NE(s.url.find("service=reg.test"), std::string::npos);
      EXPECT_NE(s.url.find("scope=repository%3Aapp%3Apull"), std::string::npos);
      return Reply(200, {}, R"({"access_token":"tok1","expires_in":300})");
    }
    if (s.Header("Authorization") != "Bearer tok1") return Reply(401);
    return Reply(404);
  });
  auto c = RegistryClient::Create(
      "reg.test", OptionsWith(t, &clock, {{"reg.test", {"user", "secret", "", ""}}}));
  ASSERT_TRUE(c.has_value());
  auto a = (*c)->StatBlob("app", Digest::Sha256Of("a"));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_FALSE(a->has_value());
  auto b = (*c)->StatBlob("app", Digest::Sha256Of("b"));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(token_fetches, 1);
}

// A 401 with insufficient_scope fetches one wider token and the request then succeeds.
TEST(SessionTest, RefreshesTokenOnceOn401WithInsufficientScope) {
  FakeClock clock;
  int token_fetches = 0;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") {
      return Reply(401,
                   {{"WWW-Authenticate", "Bearer realm=\"https://reg.test/token\",service=\"r\""}});
    }
    if (s.url.rfind("https://reg.test/token", 0) == 0) {
      ++token_fetches;
      bool wide = s.url.find("scope=repository%3Aother%3Apull") != std::string::npos;
      return Reply(200, {}, wide ? R"({"token":"wide"})" : R"({"token":"narrow"})");
    }
    if (s.Header("Authorization") == "Bearer wide") return Reply(200, {{"Content-Length", "3"}});
    return Reply(401, {{"WWW-Authenticate",
                        "Bearer realm=\"https://reg.test/token\",service=\"r\","
                        "scope=\"repository:other:pull\",error=\"insufficient_scope\""}});
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  auto r = (*c)->StatBlob("app", Digest::Sha256Of("x"));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(r->has_value());
  EXPECT_EQ(token_fetches, 2);
}

// Refused credentials are kUnauthenticated naming the registry and never the password.
TEST(SessionTest, WrongPasswordIsUnauthenticatedAndNamesRegistry) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen&) -> Result<HttpResponse> {
    return Reply(401, {{"WWW-Authenticate", "Basic realm=\"r\""}},
                 R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
  });
  auto c = RegistryClient::Create(
      "reg.test:5000", OptionsWith(t, &clock, {{"reg.test:5000", {"u", "hunter2", "", ""}}}));
  auto r = (*c)->GetManifest("app", "1");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated);
  std::string msg = r.error().ToString();
  EXPECT_NE(msg.find("reg.test:5000"), std::string::npos) << msg;
  EXPECT_NE(msg.find("UNAUTHORIZED"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("hunter2"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(Base64Encode("u:hunter2")), std::string::npos) << msg;
}

// A redirect to another host is followed without the Authorization header.
TEST(SessionTest, RedirectToOtherHostCarriesNoAuthorization) {
  FakeClock clock;
  MemoryBlobStore store;
  Digest d = Digest::Sha256Of(kBlob);
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/")
      return Reply(401, {{"WWW-Authenticate", "Basic realm=\"r\""}});
    if (s.url.find("/blobs/") != std::string::npos) {
      return Reply(307, {{"Location", "https://cdn.test/blob?sig=abc"}});
    }
    if (s.url.rfind("https://cdn.test/", 0) == 0) return Reply(200, {}, kBlob);
    return Reply(404);
  });
  auto c = RegistryClient::Create("reg.test",
                                  OptionsWith(t, &clock, {{"reg.test", {"u", "p", "", ""}}}));
  Descriptor desc{
      "application/octet-stream", d, static_cast<int64_t>(kBlob.size()), {}, {}, "", {}};
  Status s = (*c)->FetchBlob("app", desc, store);
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ(*store.ReadAll(d), kBlob);
  bool saw_cdn = false;
  for (const Seen& seen : t->seen()) {
    if (seen.url.rfind("https://cdn.test/", 0) == 0) {
      saw_cdn = true;
      EXPECT_TRUE(seen.Header("Authorization").empty()) << "Authorization leaked to " << seen.url;
    } else if (seen.url.find("/blobs/") != std::string::npos) {
      EXPECT_FALSE(seen.Header("Authorization").empty());
    }
  }
  EXPECT_TRUE(saw_cdn);
}

// 503, 429 with Retry-After and a reset are retried, waiting the Retry-After.
TEST(SessionTest, RetriesServerErrorsHonouringRetryAfter) {
  FakeClock clock;
  int calls = 0;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    ++calls;
    if (calls == 1) return Reply(503);
    if (calls == 2) return Reply(429, {{"Retry-After", "2"}});
    if (calls == 3) {
      return {TransportFailure::kReset, Error(ErrorCode::kUnavailable, "connection reset")};
    }
    return Reply(200, {{"Docker-Content-Digest", Digest::Sha256Of("{}").ToString()}}, "{}");
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  auto m = (*c)->GetManifest("app", "1");
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(calls, 4);
  ASSERT_EQ(clock.sleeps.size(), 3u);
  EXPECT_EQ(clock.sleeps[1], std::chrono::milliseconds(2000));
}

// A registry that keeps failing is tried max_attempts times, then kUnavailable naming the status.
TEST(SessionTest, RetriesAreBounded) {
  FakeClock clock;
  int calls = 0;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    ++calls;
    return Reply(500, {}, "boom");
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  auto m = (*c)->GetManifest("app", "1");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(calls, RetryPolicy{}.max_attempts);
  EXPECT_NE(m.error().ToString().find("500"), std::string::npos);
}

// Backoff is equal jitter bounded by max_backoff; 408, 429 and 503 are retryable, 404 and 501 not.
TEST(RetryPolicyTest, BackoffIsBoundedEqualJitter) {
  RetryPolicy p;
  EXPECT_EQ(p.Backoff(1, 0.0).count(), p.initial_backoff.count() / 2);
  EXPECT_LE(p.Backoff(1, 0.999).count(), p.initial_backoff.count());
  EXPECT_LE(p.Backoff(30, 0.999).count(), p.max_backoff.count());
  EXPECT_GT(p.Backoff(3, 0.999).count(), p.Backoff(1, 0.999).count());
  EXPECT_TRUE(IsRetryableStatus(429));
  EXPECT_TRUE(IsRetryableStatus(503));
  EXPECT_TRUE(IsRetryableStatus(408));
  EXPECT_FALSE(IsRetryableStatus(501));
  EXPECT_FALSE(IsRetryableStatus(404));
}

// Retry-After in seconds or as a date relative to now; a past date is zero, text is refused.
TEST(RetryPolicyTest, ParseRetryAfter) {
  auto now = std::chrono::system_clock::from_time_t(1700000000);  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(ParseRetryAfter("7", now)->count(), 7000);
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now)->count(), 10000);
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now)->count(), 0);
  EXPECT_FALSE(ParseRetryAfter("soon", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("", now).has_value());
}

// A loopback registry answering plain HTTP is used over http:// for every request.
TEST(SchemeTest, LoopbackPlainHttpIsProbedFirst) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url.rfind("https://", 0) == 0)
      return Error(ErrorCode::kUnavailable, "TLS handshake failed");
    return Reply(s.url.find("/manifests/") != std::string::npos ? 404 : 200);
  });
  auto c = RegistryClient::Create("127.0.0.1:5000", OptionsWith(t, &clock));
  auto r = (*c)->StatManifest("app", "1");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  for (const Seen& s : t->seen()) EXPECT_EQ(s.url.rfind("http://127.0.0.1:5000/", 0), 0u) << s.url;
}

// A loopback TLS registry is verified and never falls back to plain HTTP after the TLS failure.
TEST(SchemeTest, LoopbackTlsPeerIsVerified) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    // A TLS server answers a plain-HTTP request with 400.
    if (s.url.rfind("http://", 0) == 0)
      return Reply(400, {}, "Client sent an HTTP request to an HTTPS server.");
    return Error(ErrorCode::kUnavailable, "TLS certificate of localhost:5000 not trusted: x");
  });
  auto c = RegistryClient::Create("localhost:5000", OptionsWith(t, &clock));
  auto r = (*c)->StatManifest("app", "1");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("TLS certificate"), std::string::npos);
  // Never fell back to plain HTTP for the API after the TLS failure (the
  // tag's HEAD is the registry's ping).
  auto seen = t->seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].url, "http://localhost:5000/v2/app/manifests/1");
  EXPECT_EQ(seen[1].url, "https://localhost:5000/v2/app/manifests/1");
}

// A remote host whose TLS fails is never tried over plain HTTP.
TEST(SchemeTest, RemoteHostsNeverUsePlainHttp) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url.rfind("https://", 0) == 0) {
      return Error(ErrorCode::kUnavailable, "TLS handshake with reg.test failed: wrong version");
    }
    return Reply(200);
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  auto r = (*c)->StatManifest("app", "1");
  ASSERT_FALSE(r.has_value());
  for (const Seen& s : t->seen()) EXPECT_EQ(s.url.rfind("https://", 0), 0u) << s.url;
}

// An insecure registry whose TLS handshake fails falls back to http://.
TEST(SchemeTest, InsecureRegistryFallsBackToHttp) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (s.url.rfind("https://", 0) == 0) {
      return {TransportFailure::kTlsHandshake,
              Error(ErrorCode::kUnavailable, "TLS handshake with reg.test failed: wrong version")};
    }
    return Reply(404);
  });
  RegistryOptions o = OptionsWith(t, &clock);
  o.insecure_registries = {"reg.test"};
  auto c = RegistryClient::Create("reg.test", o);
  auto r = (*c)->StatManifest("app", "1");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(t->seen().back().url, "http://reg.test/v2/app/manifests/1");
}

// A registry that answers /v2/ anonymously and challenges on repositories.
TEST(LateChallengeTest, BearerChallengeOnRepositoryIsFollowed) {
  FakeClock clock;
  int token_fetches = 0;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.url.rfind("https://auth.test/token", 0) == 0) {
      ++token_fetches;
      EXPECT_EQ(s.Header("Authorization"), "Basic " + Base64Encode("user:secret"));
      EXPECT_NE(s.url.find("service=reg.svc"), std::string::npos) << s.url;
      EXPECT_NE(s.url.find("scope=repository%3Aapp%3Apull"), std::string::npos) << s.url;
      return Reply(200, {}, R"({"token":"tok","expires_in":300})");
    }
    if (s.Header("Authorization") != "Bearer tok") {
      return Reply(401,
                   {{"WWW-Authenticate",
                     "Bearer realm=\"https://auth.test/token\",service=\"reg.svc\","
                     "scope=\"repository:app:pull\""}},
                   R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
    }
    return Reply(200, {{"Content-Length", "1"}});
  });
  auto c = RegistryClient::Create(
      "reg.test", OptionsWith(t, &clock, {{"reg.test", {"user", "secret", "", ""}}}));
  auto a = (*c)->StatBlob("app", Digest::Sha256Of("a"));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_TRUE(a->has_value());
  // Learnt: later requests carry the token from the start.
  auto b = (*c)->StatBlob("app", Digest::Sha256Of("b"));
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_TRUE(b->has_value());
  EXPECT_EQ(token_fetches, 1);
  auto seen = t->seen();
  ASSERT_EQ(seen.size(), 5u);  // /v2/, HEAD 401, token, HEAD 200, HEAD 200
  EXPECT_EQ(seen[1].Header("Authorization"), "");
  EXPECT_EQ(seen[3].Header("Authorization"), "Bearer tok");
  EXPECT_EQ(seen[4].Header("Authorization"), "Bearer tok");
}

// A registry that answers 401 to every token: the client asks for new
// credentials once, then reports the refusal (it never loops). The fake
// stops answering after 50 requests so that a loop fails instead of hanging.
TEST(LateChallengeTest, ATokenRefusedTwiceIsAnErrorNotALoop) {
  FakeClock clock;
  int requests = 0;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> HttpResult {
    if (++requests > 50) return Error(ErrorCode::kUnavailable, "the test stops a loop");
    if (s.url.rfind("https://auth.test/token", 0) == 0) {
      return Reply(200, {}, R"({"token":"tok","expires_in":300})");
    }
    return Reply(401, {{"WWW-Authenticate",
                        "Bearer realm=\"https://auth.test/token\",service=\"reg.svc\","
                        "scope=\"repository:app:pull\""}});
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  auto r = (*c)->StatBlob("app", Digest::Sha256Of("a"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated) << r.error().ToString();
  EXPECT_LE(requests, 6);
}

// Redirects of a request with a body: 307 and 308 repeat the method and the
// body at the new location; 303 turns it into a GET without body (RFC 9110).
TEST(RedirectTest, MethodAndBodyFollowTheStatus) {
  FakeClock clock;
  for (int status : {307, 308, 303}) {
    auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
      if (s.url == "https://reg.test/v2/") return Reply(200);
      if (s.url == "https://reg.test/v2/app/manifests/1") {
        return Reply(status, {{"Location", "/v2/app/manifests/moved"}});
      }
      return Reply(201, {{"Docker-Content-Digest", Digest::Sha256Of("{}").ToString()}});
    });
    auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
    auto put = (*c)->PutManifest("app", "1", "application/vnd.oci.image.manifest.v1+json", "{}");
    auto seen = t->seen();
    ASSERT_GE(seen.size(), 2U) << status;
    const Seen& last = seen.back();
    EXPECT_EQ(last.url, "https://reg.test/v2/app/manifests/moved") << status;
    EXPECT_EQ(last.method, status == 303 ? "GET" : "PUT") << status;
    EXPECT_EQ(last.body, status == 303 ? "" : "{}") << status;
    (void)put;
  }
}

// A Basic challenge on a repository is answered with the credentials, then sent from the start.
TEST(LateChallengeTest, BasicChallengeOnRepositorySendsCredentials) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.Header("Authorization") != "Basic " + Base64Encode("u:p")) {
      return Reply(401, {{"WWW-Authenticate", "Basic realm=\"reg\""}});
    }
    return Reply(404);
  });
  auto c = RegistryClient::Create("reg.test",
                                  OptionsWith(t, &clock, {{"reg.test", {"u", "p", "", ""}}}));
  auto r = (*c)->StatManifest("app", "1");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_FALSE(r->has_value());
  auto r2 = (*c)->StatManifest("app", "2");
  ASSERT_TRUE(r2.has_value()) << r2.error().ToString();
  // The first HEAD is the registry's ping (401, Basic learnt), then it is
  // sent with Basic, then Basic from the start: /v2/ is never asked.
  auto seen = t->seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].url, "https://reg.test/v2/app/manifests/1");
  EXPECT_EQ(seen[0].Header("Authorization"), "");
  EXPECT_EQ(seen[1].Header("Authorization"), "Basic " + Base64Encode("u:p"));
  EXPECT_EQ(seen[2].Header("Authorization"), "Basic " + Base64Encode("u:p"));
}

// A Basic challenge without credentials is kUnauthenticated at once, suggesting ocib login.
TEST(LateChallengeTest, BasicChallengeWithoutCredentialsIsUnauthenticatedAtOnce) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    return Reply(401, {{"WWW-Authenticate", "Basic realm=\"reg\""}});
  });
  auto c = RegistryClient::Create("reg.test", OptionsWith(t, &clock));
  auto r = (*c)->GetManifest("app", "1");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(r.error().ToString().find("ocib login reg.test"), std::string::npos)
      << r.error().ToString();
  EXPECT_EQ(t->seen().size(), 2u);
}

// A useless token is fetched once only, then kUnauthenticated.
TEST(LateChallengeTest, WrongCredentialsAreRetriedOnceOnly) {
  FakeClock clock;
  int token_fetches = 0;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.url.rfind("https://auth.test/token", 0) == 0) {
      ++token_fetches;
      return Reply(200, {}, R"({"token":"useless"})");
    }
    return Reply(401, {{"WWW-Authenticate", "Bearer realm=\"https://auth.test/token\""}});
  });
  auto c = RegistryClient::Create("reg.test",
                                  OptionsWith(t, &clock, {{"reg.test", {"u", "p", "", ""}}}));
  auto r = (*c)->StatBlob("app", Digest::Sha256Of("a"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(token_fetches, 1);
}

// A challenge from a redirect target on another host never gets the credentials.
TEST(LateChallengeTest, ChallengeFromRedirectTargetIsIgnored) {
  FakeClock clock;
  auto t = std::make_shared<ScriptedTransport>([&](const Seen& s) -> Result<HttpResponse> {
    if (s.url == "https://reg.test/v2/") return Reply(200);
    if (s.url.rfind("https://evil.test/", 0) == 0) {
      ADD_FAILURE() << "credentials requested from " << s.url;
      return Reply(500);
    }
    if (s.url.find("/blobs/") != std::string::npos) {
      return Reply(307, {{"Location", "https://cdn.test/blob"}});
    }
    if (s.url.rfind("https://cdn.test/", 0) == 0) {
      return Reply(401, {{"WWW-Authenticate", "Bearer realm=\"https://evil.test/token\""}});
    }
    return Reply(404);
  });
  auto c = RegistryClient::Create("reg.test",
                                  OptionsWith(t, &clock, {{"reg.test", {"u", "p", "", ""}}}));
  MemoryBlobStore store;
  Descriptor desc{"application/octet-stream",
                  Digest::Sha256Of(kBlob),
                  static_cast<int64_t>(kBlob.size()),
                  {},
                  {},
                  "",
                  {}};
  Status st = (*c)->FetchBlob("app", desc, store);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code(), ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace ocib
