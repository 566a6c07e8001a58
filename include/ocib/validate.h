// File: ocib/validate.h
//
// Independent checks of an OCI image layout: every document reachable from
// index.json parses, every blob's size and digest are recomputed, every
// layer is decompressed and its diff_id compared with the config's.
#ifndef OCIB_INCLUDE_OCIB_VALIDATE_H_
#define OCIB_INCLUDE_OCIB_VALIDATE_H_

#include <string>
#include <vector>

#include "ocib/export.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT ValidationReport {
  int documents = 0;  // indexes, manifests and configs checked
  int blobs = 0;      // blobs whose size and digest were recomputed
  int layers = 0;     // layers whose diff_id was recomputed
  // One line per problem: "<what>: <why>". Empty when the layout is valid.
  std::vector<std::string> problems;
};

// Checks the layout at `dir`. Returns an error only when the layout cannot
// be read at all (no oci-layout, unreadable index.json); every other
// finding is a line in `problems`.
OCIB_EXPORT Result<ValidationReport> ValidateLayout(const std::string& dir);

// ValidateLayout for any local location (ocib/image_location.h): "oci:DIR"
// (the whole layout; a tag is ignored), "oci-archive:FILE" or
// "docker-archive:FILE" (every image the archive lists), read in place.
OCIB_EXPORT Result<ValidationReport> ValidateLocation(const std::string& location);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_VALIDATE_H_
