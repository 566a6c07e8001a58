# SBOM part (issue 4): Go build-info reader, SPDX/CycloneDX documents, OCI
# 1.1 referrers. Included from lib/CMakeLists.txt after add_library(ocib).
target_sources(ocib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/sbom/go_buildinfo.cc
  ${CMAKE_CURRENT_LIST_DIR}/sbom/sbom.cc
  ${CMAKE_CURRENT_LIST_DIR}/sbom/referrers.cc
)
