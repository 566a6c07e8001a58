# The CMake package, tested the way a consumer uses it (as fmt and abseil do).
set(_ocib_consumer_flags
  -DCMAKE_CXX_FLAGS=${CMAKE_CXX_FLAGS}
  -DCMAKE_EXE_LINKER_FLAGS=${CMAKE_EXE_LINKER_FLAGS}
  -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE})
add_test(NAME install_consumer_build_tree
  COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${CMAKE_CURRENT_SOURCE_DIR}/install
          ${CMAKE_CURRENT_BINARY_DIR}/consumer-build-tree --build-generator ${CMAKE_GENERATOR}
          --build-options -Docib_DIR=${PROJECT_BINARY_DIR} ${_ocib_consumer_flags}
          --test-command consumer)
add_test(NAME install_to_prefix
  COMMAND ${CMAKE_COMMAND} --install ${PROJECT_BINARY_DIR} --prefix ${CMAKE_CURRENT_BINARY_DIR}/prefix)
set_tests_properties(install_to_prefix PROPERTIES FIXTURES_SETUP ocib_prefix)
add_test(NAME install_consumer_prefix
  COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${CMAKE_CURRENT_SOURCE_DIR}/install
          ${CMAKE_CURRENT_BINARY_DIR}/consumer-prefix --build-generator ${CMAKE_GENERATOR}
          --build-options -DCMAKE_PREFIX_PATH=${CMAKE_CURRENT_BINARY_DIR}/prefix ${_ocib_consumer_flags}
          --test-command consumer)
set_tests_properties(install_consumer_prefix PROPERTIES FIXTURES_REQUIRED ocib_prefix)
set_tests_properties(install_consumer_build_tree install_consumer_prefix PROPERTIES
  PASS_REGULAR_EXPRESSION "built sha256:[0-9a-f]+")

# Each public header compiles on its own, with only include/ on the path (no
# third-party headers leak into the public API).
file(GLOB _ocib_public_headers RELATIVE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/include/ocib/*.h)
set(_ocib_header_sources)
foreach(h ${_ocib_public_headers})
  string(MAKE_C_IDENTIFIER ${h} _id)
  set(_src ${CMAKE_CURRENT_BINARY_DIR}/headers/${_id}.cc)
  file(WRITE ${_src}.in "#include \"${h}\"\n#include \"${h}\"\nint ocib_header_${_id};\n")
  configure_file(${_src}.in ${_src} COPYONLY)
  list(APPEND _ocib_header_sources ${_src})
endforeach()
add_library(ocib_header_check OBJECT ${_ocib_header_sources})
target_compile_features(ocib_header_check PRIVATE cxx_std_20)
target_include_directories(ocib_header_check PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/include)
ocib_set_warnings(ocib_header_check)
