# SBOM part (issue 4): Go build-info reader, SPDX/CycloneDX, referrers.
# The tests of one lib/ file are in test/unit/sbom (lib/sbom/sbom.cc,
# lib/sbom/referrers.cc); the Go toolchain ones stay in test/sbom. All share
# test/testing/sbom_test_util.cc.
# Needs at run time (skips the affected tests when missing): `go` (Debian
# golang-go) to build fixtures/go/sbomapp, and a python3 with jsonschema
# (Debian python3-jsonschema) to validate against fixtures/schemas/sbom.
find_package(nlohmann_json 3 REQUIRED)
ocib_add_gtest(ocib_sbom_test
  ${CMAKE_CURRENT_LIST_DIR}/testing/sbom_test_util.cc
  ${CMAKE_CURRENT_LIST_DIR}/sbom/go_buildinfo_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/unit/sbom/sbom_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/unit/sbom/referrers_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/sbom/go_proxy_test.cc
)
target_link_libraries(ocib_sbom_test PRIVATE nlohmann_json::nlohmann_json)
