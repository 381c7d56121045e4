// One check for the error paths: the call throws engine::Error with the expected code and a
// message that names what went wrong.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "engine/error.hpp"

namespace engine::test {

/// Expects `call()` to throw engine::Error of `code` whose message contains every needle.
template <typename Call>
void expect_engine_error(Call&& call, ErrorCode code, std::initializer_list<std::string> needles) {
  try {
    call();
    ADD_FAILURE() << "no error; expected one with: " << *needles.begin();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code(), code) << what;
    for (const std::string& needle : needles)
      EXPECT_NE(what.find(needle), std::string::npos) << "'" << needle << "' in: " << what;
  }
}

}  // namespace engine::test
