#include "lib/registry/challenge.h"

#include <cstring>

#include <fmt/format.h>

namespace ocib::registry {
namespace {

bool IsTchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<std::vector<Challenge>> Run() {
    std::vector<Challenge> out;
    SkipWsAndCommas();
    while (!AtEnd()) {
      if (Peek() == '"') return Bad("quoted auth scheme");
      std::string scheme = Token();
      if (scheme.empty()) return Bad("expected an auth scheme");
      Challenge ch;
      ch.scheme = Lower(scheme);
      SkipWs();
      // Parameters until the next challenge or the end.
      bool expect_param = true;
      while (!AtEnd() && expect_param) {
        size_t save = pos_;
        if (Peek() == '"') return Bad("quoted parameter name");
        std::string name = Token();
        SkipWs();
        if (name.empty() || AtEnd() || Peek() != '=') {
          // Not a parameter: a token68 (ignored) or the next scheme.
          pos_ = save;
          if (!out.empty() || !ch.params.empty() || name.empty()) break;
          // token68 after the scheme, e.g. "Negotiate abc==".
          while (!AtEnd() && Peek() != ',') ++pos_;
          break;
        }
        ++pos_;  // '='
        SkipWs();
        std::string value;
        if (!AtEnd() && Peek() == '"') {
          auto v = Quoted();
          if (!v) return std::move(v).error();
          value = *v;
        } else {
          while (!AtEnd() && Peek() != ',' && Peek() != ' ' && Peek() != '\t' && Peek() != '"') {
            value += s_[pos_++];
          }
        }
        ch.params[Lower(name)] = value;
        SkipWs();
        if (AtEnd()) break;
        if (Peek() != ',') return Bad("missing comma after parameter " + Lower(name));
        SkipWsAndCommas();
        // Next: another parameter (token '=') or a new challenge.
        size_t look = pos_;
        std::string next = Token();
        SkipWs();
        bool is_param = !next.empty() && !AtEnd() && Peek() == '=';
        pos_ = look;
        expect_param = is_param;
      }
      out.push_back(std::move(ch));
      SkipWsAndCommas();
    }
    return out;
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return s_[pos_]; }
  void SkipWs() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t')) ++pos_;
  }
  void SkipWsAndCommas() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == ',')) ++pos_;
  }
  std::string Token() {
    size_t b = pos_;
    while (!AtEnd() && IsTchar(Peek())) ++pos_;
    return std::string(s_.substr(b, pos_ - b));
  }
  Result<std::string> Quoted() {
    ++pos_;  // opening quote
    std::string v;
    while (!AtEnd()) {
      char c = s_[pos_++];
      if (c == '"') return v;
      if (c == '\\') {
        if (AtEnd()) break;
        v += s_[pos_++];
        continue;
      }
      v += c;
    }
    return Bad("unterminated quoted string");
  }
  static Error Bad(const std::string& why) {
    return InvalidArgument(fmt::format("malformed WWW-Authenticate header: {}", why));
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<Challenge>> ParseWwwAuthenticate(std::string_view value) {
  return Parser(value).Run();
}

std::vector<Challenge> ParseChallenges(const std::vector<std::string>& values) {
  std::vector<Challenge> out;
  for (const std::string& v : values) {
    auto r = ParseWwwAuthenticate(v);
    if (!r) continue;
    for (Challenge& c : *r) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace ocib::registry
