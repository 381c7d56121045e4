// <immintrin.h> without GCC 12's false -Wmaybe-uninitialized warnings from the AVX-512 headers
// (GCC PR 105593).
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
