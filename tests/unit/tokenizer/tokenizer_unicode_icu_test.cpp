// The General Category table and the White_Space list checked code point by code point against
// the installed ICU (libicu-dev), by its two-letter category names: unlike Python's unicodedata
// (tokenizer_unicode_table_test.cpp) it also checks the unassigned code points, when the ICU is
// of the table's Unicode version. Built only where CMake finds ICU (ENGINE_TEST_HAS_ICU).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "tokenizer/unicode_category_table.hpp"
#include "tokenizer/unicode_classes.hpp"

#ifdef ENGINE_TEST_HAS_ICU
#include <unicode/uchar.h>
#endif

namespace engine {
namespace {

#ifdef ENGINE_TEST_HAS_ICU

// The table's class as the first letter of a two-letter category name, '-' for unassigned.
char major_class(UnicodeCategory category) {
  return "LMNPSZC-"[static_cast<int>(category)];
}

// ICU's category of `c` in the same letters ('-' for Cn).
char icu_major_class(UChar32 c) {
  const std::string name =
      u_getPropertyValueName(UCHAR_GENERAL_CATEGORY, u_charType(c), U_SHORT_PROPERTY_NAME);
  return name == "Cn" ? '-' : name[0];
}

std::string icu_unicode_version() {
  UVersionInfo v;
  u_getUnicodeVersion(v);
  return std::to_string(v[0]) + "." + std::to_string(v[1]);
}

TEST(TokenizerUnicodeIcu, EveryCodePointMatchesIcu) {
  const std::string version = icu_unicode_version();
  SCOPED_TRACE("table " + std::string(kUnicodeTableVersion) + ", ICU's Unicode " + version);
  // Another Unicode assigns other code points: compare only those both know.
  const bool same_version = version == kUnicodeTableVersion;
  int mismatches = 0;
  for (UChar32 c = 0; c <= 0x10FFFF; ++c) {
    const char ours = major_class(unicode_category(static_cast<char32_t>(c)));
    const char icu = icu_major_class(c);
    if (!same_version && (ours == '-' || icu == '-')) continue;
    if (ours != icu && ++mismatches <= 10)
      ADD_FAILURE() << "U+" << std::hex << c << ": table " << ours << ", ICU " << icu;
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(unicode_category(0x110000), UnicodeCategory::unassigned);
}

TEST(TokenizerUnicodeIcu, WhiteSpaceMatchesIcu) {
  int spaces = 0, mismatches = 0;
  for (UChar32 c = 0; c <= 0x10FFFF; ++c) {
    const bool icu = u_hasBinaryProperty(c, UCHAR_WHITE_SPACE);
    spaces += icu;
    if (is_white_space(static_cast<char32_t>(c)) != icu && ++mismatches <= 10)
      ADD_FAILURE() << "U+" << std::hex << c << ": ICU says " << (icu ? "" : "not ") << "space";
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(spaces, 25);
}

#else

TEST(TokenizerUnicodeIcu, EveryCodePointMatchesIcu) {
  GTEST_SKIP() << "built without ICU (libicu-dev)";
}

#endif

}  // namespace
}  // namespace engine
