ocib_add_gtest(ocib_unit_tests
  unit/core_test.cc
  unit/documents_test.cc
  unit/layer_test.cc
  unit/tar_writer_test.cc
  unit/builder_test.cc
  unit/cache_test.cc)
target_link_libraries(ocib_unit_tests PRIVATE nlohmann_json::nlohmann_json)
ocib_add_gtest(ocib_build_file_tests unit/build_file_test.cc)
# The registry client's session, uploads and walks, and the HTTP transport.
ocib_add_gtest(ocib_registry_unit_tests
  unit/http/curl_transport_test.cc
  unit/registry/session_test.cc
  unit/registry/blob_upload_test.cc
  unit/registry/pull_test.cc)
target_link_libraries(ocib_registry_unit_tests PRIVATE nlohmann_json::nlohmann_json)
