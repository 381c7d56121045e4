// The General Category table (generated from ICU by tools/unicode/generate.sh) checked code point
// by code point against an independent source: Python's unicodedata, built from the Unicode
// Character Database. Code points Python does not know (an older Unicode) are left out.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "tokenizer/unicode_category_table.hpp"
#include "tokenizer/unicode_classes.hpp"

namespace engine {
namespace {

// One character per code point 0..U+10FFFF: the major class letter, '-' for unassigned.
constexpr const char* kScript =
    "import sys, unicodedata\n"
    "print(unicodedata.unidata_version)\n"
    "sys.stdout.write(''.join('-' if unicodedata.category(chr(c)) == 'Cn' else "
    "unicodedata.category(chr(c))[0] for c in range(0x110000)))\n";

std::string run_python(std::string& version) {
  const std::string command = "python3 -c \"" + std::string(kScript) + "\" 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return {};
  std::string out;
  char buf[1 << 16];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  if (::pclose(pipe) != 0) return {};
  const std::size_t newline = out.find('\n');
  if (newline == std::string::npos) return {};
  version = out.substr(0, newline);
  return out.substr(newline + 1);
}

// UnicodeCategory's values in declaration order, as Python's major class letters.
char major_class(UnicodeCategory category) {
  return "LMNPSZC-"[static_cast<int>(category)];
}

TEST(TokenizerUnicodeTable, EveryCodePointMatchesPythonUnicodedata) {
  std::string version;
  const std::string python = run_python(version);
  if (python.size() != 0x110000) GTEST_SKIP() << "python3 with unicodedata is not available";
  SCOPED_TRACE("table " + std::string(kUnicodeTableVersion) + ", Python's unicodedata " + version);
  int compared = 0;
  int mismatches = 0;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (python[c] == '-') continue;  // unassigned in Python's (possibly older) Unicode
    ++compared;
    const char ours = major_class(unicode_category(c));
    if (ours != python[c] && ++mismatches <= 10)
      ADD_FAILURE() << "U+" << std::hex << static_cast<std::uint32_t>(c) << ": table " << ours
                    << ", unicodedata " << python[c];
  }
  EXPECT_EQ(mismatches, 0);
  // Unicode 14.0 assigns 284,278 code points (private use and surrogates included).
  EXPECT_GE(compared, 284278);
}

}  // namespace
}  // namespace engine
