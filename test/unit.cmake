ocib_add_gtest(ocib_unit_tests
  unit/core_test.cc
  unit/documents_test.cc
  unit/layer_test.cc
  unit/tar_writer_test.cc
  unit/builder_test.cc
  unit/cache_test.cc)
target_link_libraries(ocib_unit_tests PRIVATE nlohmann_json::nlohmann_json)
ocib_add_gtest(ocib_build_file_tests unit/build_file_test.cc)
# Checks of build inputs and images (lib/builder/input_checks, lib/sbom/elf,
# lib/archive/tar_scan, lib/layout/consistency) and the builder's use of them.
ocib_add_gtest(ocib_checks_tests
  unit/sbom/elf_test.cc
  unit/builder/input_checks_test.cc
  unit/layout/consistency_test.cc
  unit/builder/image_builder_test.cc)
