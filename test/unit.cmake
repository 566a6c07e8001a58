# Operations on images (lib/ops): ls, tag, delete, mutate, append, rebase,
# and unpack/export of an image's filesystem.
ocib_add_gtest(ocib_ops_tests
  unit/ops/tags_test.cc
  unit/ops/delete_test.cc
  unit/ops/mutate_test.cc
  unit/ops/append_test.cc
  unit/ops/rebase_test.cc
  unit/ops/export_test.cc)
target_link_libraries(ocib_ops_tests PRIVATE nlohmann_json::nlohmann_json)
ocib_add_gtest(ocib_unit_tests
  unit/core/digest_test.cc
  unit/core/env_test.cc
  unit/core/platform_test.cc
  unit/core/reference_test.cc
  unit/core/utf8_test.cc
  unit/core/suggest_test.cc
  unit/json/documents_test.cc
  unit/archive/file_tree_test.cc
  unit/archive/layer_builder_test.cc
  unit/archive/tar_writer_test.cc
  unit/io/checksum_test.cc
  unit/layout/deferred_store_test.cc
  unit/cache/layer_cache_test.cc
  unit/cache/layer_batch_test.cc
  unit/builder/build_file_test.cc
  unit/sbom/go_buildinfo_test.cc)
target_link_libraries(ocib_unit_tests PRIVATE nlohmann_json::nlohmann_json)
# Tests that mirror lib/ (test/unit/<part>/<file>_test.cc for lib/<part>/<file>.cc).
ocib_add_gtest(ocib_io_tests
  unit/io/blob_store_test.cc
  unit/io/file_range_reader_test.cc
  unit/io/fs_util_test.cc
  unit/io/memory_store_test.cc
  unit/io/open_file_test.cc
  unit/io/shared_library_test.cc
  unit/io/streams_test.cc)
ocib_add_gtest(ocib_token_answer_tests unit/registry/token_answer_test.cc)
# Flattening layers for export and unpack (lib/archive/unpack.cc) and the
# directory and tar sinks they are written to (lib/archive/unpack_sinks.cc).
ocib_add_gtest(ocib_unpack_tests unit/archive/unpack_test.cc unit/archive/unpack_sinks_test.cc)
# Image locations and archives read in place (docker-archive, oci-archive).
ocib_add_gtest(ocib_archive_tests unit/core/image_location_test.cc
  unit/layout/image_source_test.cc
  unit/layout/docker_archive_test.cc
  unit/layout/oci_archive_test.cc
  unit/layout/archive_writer_test.cc)
target_link_libraries(ocib_archive_tests PRIVATE nlohmann_json::nlohmann_json)
# The registry client (lib/registry: its session, WWW-Authenticate
# challenges, uploads, referrers, blobs streamed from a registry),
# the image walk, push and pull (lib/transfer), and the HTTP transport with
# its libcurl loader (lib/http).
ocib_add_gtest(ocib_registry_unit_tests
  unit/http/curl_transport_test.cc
  unit/http/curl_api_test.cc
  unit/registry/session_test.cc
  unit/registry/challenge_test.cc
  unit/registry/registry_client_test.cc
  unit/registry/referrer_info_test.cc
  unit/registry/registry_referrers_test.cc
  unit/registry/remote_blob_test.cc
  unit/registry/blob_upload_test.cc
  unit/transfer/image_walk_test.cc
  unit/transfer/pull_test.cc
  unit/registry/push_record_test.cc
  unit/transfer/push_test.cc
  unit/registry/repository_store_test.cc)
target_link_libraries(ocib_registry_unit_tests PRIVATE nlohmann_json::nlohmann_json)
# Hostile layouts, digests and durable writes (lib/io, lib/layout, lib/core/digest.cc).
ocib_add_gtest(ocib_layout_tests
  unit/io/file_test.cc
  unit/io/verify_test.cc
  unit/layout/oci_layout_test.cc
  unit/layout/validate_test.cc)
# Checks of build inputs and images (lib/builder/input_checks, lib/sbom/elf,
# lib/archive/tar_scan, lib/layout/consistency) and the builder's use of them.
ocib_add_gtest(ocib_checks_tests
  unit/sbom/elf_test.cc
  unit/builder/input_checks_test.cc
  unit/layout/consistency_test.cc
  unit/layout/layer_check_test.cc
  unit/builder/image_builder_test.cc)
# The typed image model (lib/image): its operations, reading, writing,
# ReplaceBase and SBOMs.
ocib_add_gtest(ocib_image_tests
  unit/image/image_test.cc
  unit/image/image_io_test.cc
  unit/image/image_write_test.cc
  unit/image/replace_base_test.cc
  unit/image/image_sboms_test.cc)
target_link_libraries(ocib_image_tests PRIVATE nlohmann_json::nlohmann_json)
# Layer tarballs and directories read with libarchive (lib/archive/tar_read.cc),
# which is loaded with dlopen (lib/archive/libarchive_api.cc).
ocib_add_gtest(ocib_tar_read_tests unit/archive/tar_read_test.cc unit/archive/tar_scan_test.cc
  unit/archive/libarchive_api_test.cc)
# The typed build inputs (lib/builder/build_spec.cc) and the CLI's flag text
# parsed into them (cli/build_flags.cc).
ocib_add_gtest(ocib_build_spec_tests unit/builder/build_spec_test.cc
  unit/cli/build_flags_test.cc ${PROJECT_SOURCE_DIR}/cli/build_flags.cc)
target_link_libraries(ocib_build_spec_tests PRIVATE fmt::fmt)
# The embedded base's pack (lib/base/static_base.cc).
ocib_add_gtest(ocib_base_tests unit/base/static_base_test.cc)
# Small parts of lib/core and lib/auth: ParallelFor, Status, media type
# classes, base64.
ocib_add_gtest(ocib_core_tests
  unit/core/parallel_test.cc
  unit/core/status_test.cc
  unit/core/media_type_test.cc
  unit/auth/base64_test.cc)
# The keychain (lib/auth/keychain.cc): Docker and containers auth files,
# credential helpers.
ocib_add_gtest(ocib_auth_tests unit/auth/keychain_test.cc)
target_link_libraries(ocib_auth_tests PRIVATE nlohmann_json::nlohmann_json)
# The builder's go build, registry side and SBOM queries (lib/builder:
# go_build.cc with a fake `go`, remote_build.cc and sbom_query.cc with the
# in-memory registry of test/registry/fake_registry.h).
ocib_add_gtest(ocib_builder_tests
  unit/builder/go_build_test.cc
  unit/builder/remote_build_test.cc
  unit/builder/sbom_query_test.cc)
target_link_libraries(ocib_builder_tests PRIVATE nlohmann_json::nlohmann_json)
