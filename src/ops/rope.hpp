// Rotary position embedding, llama2.c style: consecutive pairs (v[2i], v[2i+1]) of each head
// are rotated by the angle of their frequency index i; or Hugging Face's (llama.cpp's NEOX): the
// pairs (v[i], v[i + head_size/2]).
#pragma once

namespace engine {

/// Rotates `n` floats (whole heads of `head_size`) by the per-position cos/sin tables
/// (head_size / 2 entries each).
void apply_rope(float* v, int n, int head_size, const float* cos, const float* sin);

/// The same on the pairs (v[i], v[i + head_size/2]) of each head.
void apply_rope_halves(float* v, int n, int head_size, const float* cos, const float* sin);

}  // namespace engine
