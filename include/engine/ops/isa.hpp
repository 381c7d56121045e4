// Instruction sets the kernels are compiled for, and which one runs.
#pragma once

#include <string_view>
#include <vector>

namespace engine {

/// Kernel instruction sets, in increasing order of capability.
enum class Isa { scalar, avx2, avx512, avx512_vnni_bf16 };

/// "scalar", "avx2", "avx512" or "avx512_vnni_bf16".
std::string_view isa_name(Isa isa);

/// Parses "scalar|avx2|avx512|avx512_vnni_bf16"; throws engine::Error on anything else.
Isa parse_isa(std::string_view name);

/// The best ISA this CPU supports (cpuid): avx512_vnni_bf16 needs avx512 plus AVX512_VNNI and
/// AVX512_BF16 (vpdpbusd, vdpbf16ps), avx512 needs F/BW/VL/DQ, avx2 needs AVX2+FMA.
Isa best_supported_isa();
/// Whether this CPU can run the kernels of `isa`.
bool cpu_supports(Isa isa);

/// Every ISA this CPU can run, scalar first (what the SIMD-vs-scalar tests iterate over).
std::vector<Isa> supported_isas();

/// The ISA the kernels use: chosen once at start-up,
/// `ENGINE_ISA=scalar|avx2|avx512|avx512_vnni_bf16` overrides it; an override the CPU cannot
/// run throws engine::Error (unsupported).
Isa active_isa();

}  // namespace engine
