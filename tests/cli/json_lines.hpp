// The CLI's JSON outputs, parsed with a real parser (nlohmann-json): a test reads fields, never
// substrings, and output that is not valid JSON (or not UTF-8) fails the test.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace engine::test {

/// One JSON document; a parse error fails the test and gives null.
inline nlohmann::json parse_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    ADD_FAILURE() << "not valid JSON (" << e.what() << "): " << text.substr(0, 200);
    return nullptr;
  }
}

/// One JSON document per line (generate --json).
inline std::vector<nlohmann::json> parse_json_lines(const std::string& text) {
  std::vector<nlohmann::json> values;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) values.push_back(parse_json(line));
  return values;
}

}  // namespace engine::test
