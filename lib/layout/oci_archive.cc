#include "lib/layout/oci_archive.h"

#include <filesystem>

#include <fmt/format.h>

#include "ocib/layer.h"

#include "lib/archive/layer_pipeline.h"
#include "lib/io/fs_util.h"

namespace ocib {

namespace {

// The layout's files as a tree: oci-layout, index.json and every regular
// file under blobs/ALGORITHM/.
Result<FileTree> LayoutTree(const std::string& layout_dir) {
  FileTree tree;
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const char* name : {"oci-layout", "index.json"}) {
    OCIB_RETURN_IF_ERROR(tree.AddHostFile(layout_dir + "/" + name, name, 0644));
  }
  OCIB_RETURN_IF_ERROR(tree.AddDirectory("blobs", 0755));
  for (const auto& alg : fs::directory_iterator(layout_dir + "/blobs", ec)) {
    if (!alg.is_directory()) continue;
    std::string a = alg.path().filename().string();
    OCIB_RETURN_IF_ERROR(tree.AddDirectory("blobs/" + a, 0755));
    for (const auto& blob : fs::directory_iterator(alg.path(), ec)) {
      if (!blob.is_regular_file()) continue;
      std::string b = blob.path().filename().string();
      OCIB_RETURN_IF_ERROR(tree.AddHostFile(blob.path().string(), "blobs/" + a + "/" + b, 0644));
    }
  }
  if (ec) return IoError(fmt::format("listing {}/blobs: {}", layout_dir, ec.message()));
  return tree;
}

}  // namespace

Status WriteOciArchive(const std::string& layout_dir, const std::string& file, int64_t mtime) {
  OCIB_ASSIGN_OR_RETURN(FileTree tree, LayoutTree(layout_dir));
  return fsutil::WriteFileAtomicWith(file,
                                     [&](Writer& out) { return WriteTreeTar(tree, &out, mtime); });
}

}  // namespace ocib
