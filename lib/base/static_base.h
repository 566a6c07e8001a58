// The embedded `static` base: a distroless-static equivalent made by ocib
// itself, deterministically, with no network.
#ifndef OCIB_LIB_BASE_STATIC_BASE_H_
#define OCIB_LIB_BASE_STATIC_BASE_H_

#include <set>
#include <string>
#include <string_view>

#include "ocib/image_config.h"
#include "ocib/layer.h"

namespace ocib::base {

// The base's one layer: /etc/passwd (root 0, nobody 65534, nonroot 65532),
// /etc/group, /etc/nsswitch.conf, /etc/os-release, /tmp (1777),
// /home/nonroot (65532:65532, 0700), /root (0700), the CA bundle fixed when
// ocib was built, and /usr/share/zoneinfo if the build machine had tzdata.
// The embedded base's files; its content id (FileTree::SetContentId) is
// StaticBaseContentId().
Result<FileTree> StaticBaseTree();

// Adds the records of a base pack (lib/base/make_base_pack.cc writes them:
// type 'f', 'd' or 'l', mode, path, link, content; a 0 type ends the pack)
// to `t`. kInternal for a truncated pack or an unknown type; FileTree's
// errors for a record it refuses (a path escaping the root...).
Status AddPackRecords(std::string_view pack, FileTree& t);
// A name for everything StaticBaseTree() holds (a digest of its in-code
// entries and of the embedded pack), without building the tree.
const std::string& StaticBaseContentId();

// The paths of the base's directories ("etc", "tmp", "home/nonroot"...),
// read from the pack without unpacking its files.
const std::set<std::string>& StaticBaseDirectories();

// The base's config (without platform, layers or history): PATH and
// SSL_CERT_FILE in Env, User 65532:65532.
ContainerConfig StaticBaseConfig();

}  // namespace ocib::base

#endif  // OCIB_LIB_BASE_STATIC_BASE_H_
