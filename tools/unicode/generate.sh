#!/usr/bin/env bash
# Regenerates src/tokenizer/unicode_category_table.cpp from the installed ICU (libicu-dev),
# formatted as the repository formats C++ (clang-format).
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
g++ -std=c++20 -O1 tools/unicode/gen_unicode_categories.cpp -o "$tmp/gen" -licuuc
"$tmp/gen" | clang-format --assume-filename=src/tokenizer/unicode_category_table.cpp \
  > src/tokenizer/unicode_category_table.cpp
