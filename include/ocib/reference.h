// File: ocib/reference.h
//
// Image references in the Docker grammar (distribution/reference):
//
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain "/"] path
//   domain    := host [":" port]        (host: DNS name, IPv4, or [IPv6])
//
// `Reference::Parse` normalises like the docker CLI (ParseNormalizedNamed):
// a first component without "." or ":" that is not "localhost" (and has no
// upper case) is not a domain, so `busybox` is `docker.io/library/busybox`;
// `index.docker.io` becomes `docker.io`; a single path component on
// docker.io gets `library/`. The path must be lower case and at most 255
// characters. A tag and a digest may both be present.
//
// `Reference::ParseStrict` is distribution's `Parse`: no normalisation; the
// domain is empty when the first component is not a domain.
//
// Example:
//   auto r = ocib::Reference::Parse("localhost:5000/app:1");
//   r->domain();      // "localhost:5000"
//   r->path();        // "app"
//   r->Identifier();  // "1"
//
// Thread safety: a value type.
#ifndef OCIB_INCLUDE_OCIB_REFERENCE_H_
#define OCIB_INCLUDE_OCIB_REFERENCE_H_

#include <string>
#include <string_view>

#include "ocib/export.h"
#include "ocib/status.h"

namespace ocib {

class OCIB_EXPORT Reference {
 public:
  Reference() = default;

  // Parses with docker normalisation (see above). kInvalidArgument with the
  // reason ("repository name must be lowercase", "invalid reference
  // format", ...) naming the input.
  static Result<Reference> Parse(std::string_view text);
  // Parses without normalisation (distribution's reference.Parse).
  static Result<Reference> ParseStrict(std::string_view text);

  // "docker.io", "localhost:5000", "[::1]:5000"; empty only for strict
  // references without a domain.
  const std::string& domain() const { return domain_; }
  // Repository path without the domain: "library/busybox".
  const std::string& path() const { return path_; }
  // Empty when absent.
  const std::string& tag() const { return tag_; }
  // "sha256:..." or empty when absent.
  const std::string& digest() const { return digest_; }

  // domain "/" path (or path alone when there is no domain).
  std::string Name() const;
  // Name [":" tag] ["@" digest].
  std::string String() const;
  // The docker CLI's short form: "busybox:1", "localhost:5000/app".
  std::string Familiar() const;
  // What goes after /manifests/: the digest if set, else the tag, else
  // "latest".
  std::string Identifier() const;
  // The host:port that serves the API: registry-1.docker.io for docker.io,
  // otherwise domain().
  std::string RegistryHost() const;

  Reference WithTag(std::string tag) const;
  Reference WithDigest(std::string digest) const;
  Reference WithoutTagAndDigest() const;

  friend bool operator==(const Reference&, const Reference&) = default;

 private:
  std::string domain_;
  std::string path_;
  std::string tag_;
  std::string digest_;
};

// Whether `tag` matches the tag grammar [\w][\w.-]{0,127}.
OCIB_EXPORT bool IsValidTag(std::string_view tag);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_REFERENCE_H_
