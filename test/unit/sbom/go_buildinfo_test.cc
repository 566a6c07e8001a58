// Go quoted strings in module info settings (build\tKEY=VALUE lines), as
// Go's strconv.Unquote reads them: every escape form at its bounds, and the
// malformed forms rejected.
#include "ocib/go_buildinfo.h"

#include <string>

#include "test/testing/test_util.h"

namespace ocib {
namespace {

// The value of a single quoted setting, or the error.
Result<std::string> Unquote(const std::string& quoted) {
  auto info = ParseGoModInfo("build\tK=" + quoted + "\n");
  if (!info) return std::move(info).error();
  if (info->settings.size() != 1) return InvalidArgument("not one setting");
  return info->settings[0].second;
}

TEST(GoQuotedSettingTest, SimpleEscapes) {
  auto v = Unquote(R"("\a\b\f\n\r\t\v\\\"\'")");
  ASSERT_TRUE(v.has_value()) << v.error().ToString();
  EXPECT_EQ(*v, "\a\b\f\n\r\t\v\\\"'");
  // A raw string keeps backslashes.
  v = Unquote(R"(`a\nb`)");
  ASSERT_TRUE(v.has_value()) << v.error().ToString();
  EXPECT_EQ(*v, "a\\nb");
}

TEST(GoQuotedSettingTest, OctalEscapesAtTheirBounds) {
  struct Case {
    const char* quoted;
    std::string want;
  };
  for (const Case& c :
       {Case{R"("\000")", std::string(1, '\0')}, Case{R"("\101")", "A"}, Case{R"("\060")", "0"},
        Case{R"("\177")", "\x7f"}, Case{R"("\377")", "\xff"}, Case{R"("x\070y")", "x8y"}}) {
    auto v = Unquote(c.quoted);
    ASSERT_TRUE(v.has_value()) << c.quoted << ": " << v.error().ToString();
    EXPECT_EQ(*v, c.want) << c.quoted;
  }
  // Above 255, a digit past '7', a character before '0', too short.
  for (const char* bad :
       {R"("\400")", R"("\777")", R"("\108")", R"("\18")", R"("\1/0")", R"("\12")", R"("\1")"}) {
    EXPECT_FALSE(Unquote(bad).has_value()) << bad;
  }
}

TEST(GoQuotedSettingTest, HexAndUnicodeEscapesAtTheirBounds) {
  struct Case {
    const char* quoted;
    std::string want;
  };
  for (const Case& c :
       {Case{R"("\x00")", std::string(1, '\0')}, Case{R"("\xff")", "\xff"},
        Case{R"("\xFF")", "\xff"}, Case{R"("\x41")", "A"}, Case{R"("\u00e9")", "\xc3\xa9"},
        Case{R"("\ud7ff")", "\xed\x9f\xbf"}, Case{R"("\ue000")", "\xee\x80\x80"},
        Case{R"("\U0001F600")", "\xf0\x9f\x98\x80"}, Case{R"("\U0010ffff")", "\xf4\x8f\xbf\xbf"}}) {
    auto v = Unquote(c.quoted);
    ASSERT_TRUE(v.has_value()) << c.quoted << ": " << v.error().ToString();
    EXPECT_EQ(*v, c.want) << c.quoted;
  }
  // Surrogates, beyond U+10FFFF, a non-hex digit, too few digits, an
  // unknown escape, a trailing backslash.
  for (const char* bad : {R"("\ud800")", R"("\udfff")", R"("\U00110000")", R"("\xg0")", R"("\x4")",
                          R"("\u12")", R"("\q")", R"("a\")"}) {
    EXPECT_FALSE(Unquote(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace ocib
