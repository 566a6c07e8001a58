// Helpers shared by the registry unit tests.
#ifndef OCIB_TEST_REGISTRY_TEST_UTIL_H_
#define OCIB_TEST_REGISTRY_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace ocib::testing {

inline nlohmann::json LoadFixture(const std::string& name) {
  std::ifstream in(std::string(OCIB_SOURCE_DIR) + "/fixtures/registry/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

}  // namespace ocib::testing

#endif  // OCIB_TEST_REGISTRY_TEST_UTIL_H_
