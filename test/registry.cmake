# Registry part (issue 3): unit tests with an in-memory fake transport (those
# of one lib/ file are in test/unit, see unit.cmake), and
# end-to-end tests against Debian's docker-registry started by the scripts
# themselves on 127.0.0.1 (packages: docker-registry skopeo apache2-utils
# openssl python3 jq curl; a missing one makes the test skip, code 77).
find_package(nlohmann_json 3 REQUIRED)
ocib_add_gtest(ocib_registry_test
  ${CMAKE_CURRENT_LIST_DIR}/registry/referrers_push_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/registry/referrers_copy_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/registry/cert_dirs_test.cc
)
target_link_libraries(ocib_registry_test PRIVATE nlohmann_json::nlohmann_json)

# ocib_add_registry_e2e(NAME SCRIPT ARGS...)
function(ocib_add_registry_e2e name script)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/e2e/registry/${script} ${ARGN})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "OCIB=$<TARGET_FILE:ocib_cli>;OCIB_SOURCE_DIR=${PROJECT_SOURCE_DIR};OCIB_BINARY_DIR=${PROJECT_BINARY_DIR};OCIB_TEST_TMP=${PROJECT_BINARY_DIR}/e2e-tmp/${name}"
    TIMEOUT 600 SKIP_RETURN_CODE 77 LABELS "e2e;registry")
endfunction()
ocib_add_registry_e2e(registry_push_http push_modes.sh http)
ocib_add_registry_e2e(registry_push_https push_modes.sh https)
ocib_add_registry_e2e(registry_push_basic push_modes.sh basic)
ocib_add_registry_e2e(registry_push_token push_modes.sh token)
ocib_add_registry_e2e(registry_faults faults.sh)
ocib_add_registry_e2e(registry_auth_tls auth_tls.sh)
ocib_add_registry_e2e(registry_build_remote build_remote.sh)
ocib_add_registry_e2e(registry_referrers referrers.sh)
ocib_add_registry_e2e(registry_archives archives.sh)
ocib_add_registry_e2e(registry_referrers_copy referrers_copy.sh)
ocib_add_registry_e2e(registry_certs_d certs_d.sh)
ocib_add_registry_e2e(registry_chunk_min_length chunk_min.sh)
ocib_add_registry_e2e(registry_late_challenge late_challenge.sh)
ocib_add_registry_e2e(registry_proxy_env proxy_env.sh)
ocib_add_registry_e2e(registry_progress progress.sh)
ocib_add_registry_e2e(registry_base_no_download base_no_download.sh)
ocib_add_registry_e2e(registry_hostile hostile.sh)
ocib_add_registry_e2e(registry_monorepo monorepo.sh)
ocib_add_registry_e2e(registry_day2 day2.sh)
ocib_add_registry_e2e(registry_append_rebase append_rebase.sh)
ocib_add_registry_e2e(registry_push_verify push_verify.sh)
ocib_add_registry_e2e(registry_push_consistency push_consistency.sh)
ocib_add_registry_e2e(registry_conformance conformance.sh)
# The library example (b): built against the install prefix, run against the registry.
ocib_add_registry_e2e(registry_example_append_env example_append_env.sh)
set_tests_properties(registry_example_append_env PROPERTIES FIXTURES_REQUIRED ocib_prefix)
# The library examples (a) and (c), the same way.
ocib_add_registry_e2e(registry_example_build_copy example_build_copy.sh)
set_tests_properties(registry_example_build_copy PROPERTIES FIXTURES_REQUIRED ocib_prefix)
ocib_add_registry_e2e(registry_cli cli.sh)
ocib_add_registry_e2e(registry_credentials credentials.sh)
