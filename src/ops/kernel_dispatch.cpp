// Picks the kernel table for an ISA: a switch, decided once per call site via active_isa().
#include <fmt/format.h>

#include "engine/error.hpp"
#include "ops/kernels/kernel_table.hpp"

namespace engine::kernels {

const KernelTable& kernels_for(Isa isa) {
  if (!cpu_supports(isa))
    throw Error(ErrorCode::unsupported,
                fmt::format("this CPU does not support the {} kernels", isa_name(isa)));
  switch (isa) {
    case Isa::avx512_vnni_bf16:
      return kernel_table_avx512_vnni_bf16();
    case Isa::avx512:
      return kernel_table_avx512();
    case Isa::avx2:
      return kernel_table_avx2();
    case Isa::scalar:
      break;
  }
  return kernel_table_scalar();
}

const KernelTable& kernels() {
  return kernels_for(active_isa());
}

}  // namespace engine::kernels
