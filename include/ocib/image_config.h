// File: ocib/image_config.h
//
// The OCI image configuration (application/vnd.oci.image.config.v1+json).
// Parse keeps the fields below; unknown fields are dropped, so a config
// derived from a base is a new document with its own digest.
#ifndef OCIB_INCLUDE_OCIB_IMAGE_CONFIG_H_
#define OCIB_INCLUDE_OCIB_IMAGE_CONFIG_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/digest.h"
#include "ocib/export.h"
#include "ocib/platform.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT HistoryEntry {
  std::string created;  // RFC 3339, empty when absent
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

// The runtime part of the config ("config" in the JSON).
struct OCIB_EXPORT ContainerConfig {
  std::string user;
  std::set<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::string> env;         // "K=V", in order
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::set<std::string> volumes;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
};

struct OCIB_EXPORT ImageConfig {
  std::string created;  // RFC 3339, empty when absent
  std::string author;
  std::string architecture;
  std::string os;
  std::string variant;
  std::string os_version;
  std::vector<std::string> os_features;
  ContainerConfig config;
  std::vector<Digest> diff_ids;
  std::vector<HistoryEntry> history;

  static Result<ImageConfig> Parse(std::string_view bytes);
  std::string Serialize() const;

  Platform platform() const;
};

// Formats seconds since the Unix epoch as RFC 3339 UTC, "1970-01-01T00:00:00Z".
OCIB_EXPORT std::string FormatRfc3339(int64_t seconds);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_IMAGE_CONFIG_H_
