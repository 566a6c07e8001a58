ocib_add_gtest(ocib_unit_tests
  unit/core_test.cc
  unit/documents_test.cc
  unit/layer_test.cc
  unit/tar_writer_test.cc
  unit/builder_test.cc
  unit/cache_test.cc)
target_link_libraries(ocib_unit_tests PRIVATE nlohmann_json::nlohmann_json)
ocib_add_gtest(ocib_build_file_tests unit/build_file_test.cc)
# Hostile layouts, digests and durable writes (lib/io, lib/layout, lib/core/digest.cc).
ocib_add_gtest(ocib_layout_tests
  unit/core/digest_test.cc
  unit/io/file_test.cc
  unit/io/verify_test.cc
  unit/layout/oci_layout_test.cc
  unit/layout/validate_test.cc)
