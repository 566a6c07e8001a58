# Day-2 operations on published images (lib/ops): ls, tag, delete, mutate.
ocib_add_gtest(ocib_ops_tests
  unit/ops/tags_test.cc
  unit/ops/delete_test.cc
  unit/ops/mutate_test.cc)
target_link_libraries(ocib_ops_tests PRIVATE nlohmann_json::nlohmann_json)
ocib_add_gtest(ocib_unit_tests
  unit/core_test.cc
  unit/documents_test.cc
  unit/layer_test.cc
  unit/tar_writer_test.cc
  unit/builder_test.cc
  unit/cache_test.cc)
target_link_libraries(ocib_unit_tests PRIVATE nlohmann_json::nlohmann_json)
ocib_add_gtest(ocib_build_file_tests unit/build_file_test.cc)
