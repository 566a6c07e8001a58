# Registry part (issue 3): references, HTTP over libcurl, credentials,
# the distribution API client, push/pull/copy. Included from
# lib/CMakeLists.txt after add_library(ocib).
find_package(CURL REQUIRED)
target_sources(ocib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/core/reference.cc
  ${CMAKE_CURRENT_LIST_DIR}/http/curl_api.cc
  ${CMAKE_CURRENT_LIST_DIR}/http/curl_transport.cc
  ${CMAKE_CURRENT_LIST_DIR}/auth/base64.cc
  ${CMAKE_CURRENT_LIST_DIR}/auth/keychain.cc
  ${CMAKE_CURRENT_LIST_DIR}/registry/challenge.cc
  ${CMAKE_CURRENT_LIST_DIR}/registry/image_walk.cc
  ${CMAKE_CURRENT_LIST_DIR}/registry/registry_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/registry/push.cc
  ${CMAKE_CURRENT_LIST_DIR}/registry/pull.cc
  ${CMAKE_CURRENT_LIST_DIR}/registry/registry_referrers.cc
  ${CMAKE_CURRENT_LIST_DIR}/build/remote_build.cc
)
# libcurl is loaded with dlopen on the first request (lib/http/curl_api.h):
# only its headers are needed here, and libcurl4 at run time.
target_include_directories(ocib PRIVATE $<TARGET_PROPERTY:CURL::libcurl,INTERFACE_INCLUDE_DIRECTORIES>)
target_link_libraries(ocib PRIVATE ${CMAKE_DL_LIBS})
