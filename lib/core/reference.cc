// Docker reference grammar, after distribution/reference regexp.go,
// reference.go and normalize.go (behaviour checked against their test
// vectors in fixtures/registry/).
#include "ocib/reference.h"

#include <algorithm>
#include <regex>
#include <utility>

#include <fmt/format.h>

namespace ocib {
namespace {

constexpr size_t kNameTotalLengthMax = 255;
constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";

// The pieces of regexp.go, as ECMAScript (leftmost-first like Go's
// FindStringSubmatch).
const std::string kAlnum = "[a-z0-9]+";
const std::string kSeparator = "(?:[._]|__|[-]+)";
const std::string kPathComponent = kAlnum + "(?:" + kSeparator + kAlnum + ")*";
const std::string kDomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const std::string kDomainName = kDomainComponent + "(?:\\." + kDomainComponent + ")*";
const std::string kIpv6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const std::string kHost = "(?:" + kDomainName + "|" + kIpv6 + ")";
const std::string kDomainAndPort = kHost + "(?::[0-9]+)?";
const std::string kTag = "[\\w][\\w.-]{0,127}";
const std::string kDigest =
    "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
const std::string kRemoteName = kPathComponent + "(?:/" + kPathComponent + ")*";

const std::regex& ReferenceRegex() {
  static const std::regex kRe("^((?:" + kDomainAndPort + "/)?" + kRemoteName + ")(?::(" + kTag +
                              "))?(?:@(" + kDigest + "))?$");
  return kRe;
}
const std::regex& AnchoredNameRegex() {
  static const std::regex kRe("^(?:(" + kDomainAndPort + ")/)?(" + kRemoteName + ")$");
  return kRe;
}
const std::regex& IdentifierRegex() {
  static const std::regex kRe("^[a-f0-9]{64}$");
  return kRe;
}
const std::regex& TagRegex() {
  static const std::regex kRe("^" + kTag + "$");
  return kRe;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

Error Invalid(std::string_view input, std::string_view why) {
  return InvalidArgument(fmt::format("invalid reference \"{}\": {}", input, why));
}

// go-digest's Parse + Validate for the algorithms ocib knows.
Status ValidateDigest(std::string_view input, const std::string& digest) {
  size_t colon = digest.find(':');
  std::string alg = digest.substr(0, colon);
  std::string enc = digest.substr(colon + 1);
  size_t want = 0;
  if (alg == "sha256") {
    want = 64;
  } else if (alg == "sha512") {
    want = 128;
  } else {
    return Invalid(input, "unsupported digest algorithm");
  }
  if (enc.size() != want) return Invalid(input, "invalid checksum digest length");
  if (!std::all_of(enc.begin(), enc.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return Invalid(input, "invalid checksum digest format");
  }
  return OkStatus();
}

}  // namespace

bool IsValidTag(std::string_view tag) {
  return std::regex_match(tag.begin(), tag.end(), TagRegex());
}

Result<Reference> Reference::ParseStrict(std::string_view text) {
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(text.begin(), text.end(), m, ReferenceRegex())) {
    if (text.empty()) return Invalid(text, "repository name must have at least one component");
    std::string lower = ToLower(text);
    if (std::regex_match(lower, ReferenceRegex())) {
      return Invalid(text, "repository name must be lowercase");
    }
    return Invalid(text, "invalid reference format");
  }
  Reference ref;
  std::string name = m[1].str();
  std::smatch nm;
  if (std::regex_match(name, nm, AnchoredNameRegex())) {
    ref.domain_ = nm[1].str();
    ref.path_ = nm[2].str();
  } else {
    ref.path_ = name;
  }
  if (ref.path_.size() > kNameTotalLengthMax) {
    return Invalid(text, "repository name must not be more than 255 characters");
  }
  ref.tag_ = m[2].str();
  if (m[3].matched) {
    ref.digest_ = m[3].str();
    OCIB_RETURN_IF_ERROR(ValidateDigest(text, ref.digest_));
  }
  return ref;
}

Result<Reference> Reference::Parse(std::string_view text) {
  std::string s(text);
  if (std::regex_match(s, IdentifierRegex())) {
    return Invalid(text, "cannot specify 64-byte hexadecimal strings");
  }
  std::string domain;
  std::string remainder;
  size_t slash = s.find('/');
  if (slash == std::string::npos) {
    domain = kDefaultDomain;
    remainder = std::string(kOfficialRepoPrefix) + s;
  } else {
    std::string maybe_domain = s.substr(0, slash);
    std::string rest = s.substr(slash + 1);
    if (maybe_domain == kLegacyDefaultDomain) {
      domain = kDefaultDomain;
      remainder = std::move(rest);
    } else if (maybe_domain == "localhost" ||
               maybe_domain.find_first_of(".:") != std::string::npos ||
               ToLower(maybe_domain) != maybe_domain) {
      domain = std::move(maybe_domain);
      remainder = std::move(rest);
    } else {
      domain = kDefaultDomain;
      remainder = s;
    }
    if (domain == kDefaultDomain && remainder.find('/') == std::string::npos) {
      remainder = std::string(kOfficialRepoPrefix) + remainder;
    }
  }
  std::string remote_name = remainder.substr(0, remainder.find(':'));
  if (ToLower(remote_name) != remote_name) {
    return Invalid(text, "repository name must be lowercase");
  }
  auto parsed = ParseStrict(domain + "/" + remainder);
  if (!parsed) {
    // Report the user's input, not the normalised string.
    std::string msg = parsed.error().message();
    size_t pos = msg.find("\": ");
    return Invalid(text, pos == std::string::npos ? msg : msg.substr(pos + 3));
  }
  return parsed;
}

std::string Reference::Name() const { return domain_.empty() ? path_ : domain_ + "/" + path_; }

std::string Reference::String() const {
  std::string out = Name();
  if (!tag_.empty()) out += ":" + tag_;
  if (!digest_.empty()) out += "@" + digest_;
  return out;
}

std::string Reference::Familiar() const {
  std::string domain = domain_;
  std::string path = path_;
  if (domain == kDefaultDomain) {
    domain.clear();
    if (path.rfind(kOfficialRepoPrefix, 0) == 0) {
      std::string rest = path.substr(kOfficialRepoPrefix.size());
      if (rest.find('/') == std::string::npos) path = rest;
    }
  }
  std::string out = domain.empty() ? path : domain + "/" + path;
  if (!tag_.empty()) out += ":" + tag_;
  if (!digest_.empty()) out += "@" + digest_;
  return out;
}

std::string Reference::Identifier() const {
  if (!digest_.empty()) return digest_;
  if (!tag_.empty()) return tag_;
  return "latest";
}

std::string Reference::RegistryHost() const {
  if (domain_ == kDefaultDomain || domain_ == kLegacyDefaultDomain) return "registry-1.docker.io";
  return domain_;
}

Reference Reference::WithTag(std::string tag) const {
  Reference r = *this;
  r.tag_ = std::move(tag);
  return r;
}

Reference Reference::WithDigest(std::string digest) const {
  Reference r = *this;
  r.digest_ = std::move(digest);
  return r;
}

Reference Reference::WithoutTagAndDigest() const {
  Reference r = *this;
  r.tag_.clear();
  r.digest_.clear();
  return r;
}

}  // namespace ocib
