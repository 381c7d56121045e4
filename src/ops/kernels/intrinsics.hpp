// <immintrin.h> without GCC 12's false -Wmaybe-uninitialized warnings from the AVX-512 headers
// (GCC PR 105593); clang has neither the warning nor the bug.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
