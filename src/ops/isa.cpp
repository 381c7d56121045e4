#include "engine/ops/isa.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "engine/error.hpp"
#include "util/log.hpp"

namespace engine {
namespace {

constexpr Isa kAllIsas[] = {Isa::scalar, Isa::avx2, Isa::avx512, Isa::avx512_vnni_bf16};

Isa isa_from_environment() {
  const char* forced = std::getenv("ENGINE_ISA");
  if (!forced || !*forced) return best_supported_isa();
  const Isa isa = parse_isa(forced);
  if (!cpu_supports(isa))
    throw Error(ErrorCode::unsupported,
                fmt::format("ENGINE_ISA={} but this CPU does not support it (best: {})", forced,
                            isa_name(best_supported_isa())));
  return isa;
}

}  // namespace

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar:
      return "scalar";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
    case Isa::avx512_vnni_bf16:
      return "avx512_vnni_bf16";
  }
  return "?";
}

Isa parse_isa(std::string_view name) {
  for (Isa isa : kAllIsas)
    if (isa_name(isa) == name) return isa;
  throw Error(ErrorCode::invalid_argument,
              fmt::format("unknown ISA '{}' (expected scalar|avx2|avx512|avx512_vnni_bf16)", name));
}

bool cpu_supports(Isa isa) {
  switch (isa) {
    case Isa::scalar:
      return true;
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::avx512:
      return cpu_supports(Isa::avx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq");
    case Isa::avx512_vnni_bf16:
      // Some AVX-512 CPUs (Skylake-X) lack both: they must never reach vpdpbusd or vdpbf16ps.
      return cpu_supports(Isa::avx512) && __builtin_cpu_supports("avx512vnni") &&
             __builtin_cpu_supports("avx512bf16");
  }
  return false;
}

Isa best_supported_isa() {
  Isa best = Isa::scalar;
  for (Isa isa : kAllIsas)
    if (cpu_supports(isa)) best = isa;
  return best;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (Isa isa : kAllIsas)
    if (cpu_supports(isa)) isas.push_back(isa);
  return isas;
}

Isa active_isa() {
  // Decided once: the environment is read at first use, and a bad ENGINE_ISA keeps throwing.
  static const Isa chosen = [] {
    const Isa isa = isa_from_environment();
    log::debug("kernels: {}", isa_name(isa));
    return isa;
  }();
  return chosen;
}

}  // namespace engine
