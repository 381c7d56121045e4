// Which CPUs other processes keep busy, from the kernel's per-CPU time counters (/proc/stat).
// The default thread count leaves those CPUs to them: a decode step or a prefill split over a
// CPU that another process holds waits at every barrier for the share that CPU runs late, so one
// thread fewer is faster than a thread that gets half a CPU.
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

namespace engine {

/// One CPU's counters in a /proc/stat reading, in ticks since boot.
struct CpuTimes {
  int cpu = 0;
  unsigned long long busy = 0;   ///< all but idle and iowait (steal included: not ours either)
  unsigned long long total = 0;  ///< user, nice, system, idle, iowait, irq, softirq, steal
};

/// The "cpuN ..." lines of /proc/stat's text; lines it cannot read are left out.
std::vector<CpuTimes> parse_cpu_times(std::string_view proc_stat);

/// How many of the CPUs numbered in `usable` were busy more than half the time between two
/// readings; a CPU missing from either reading counts as not busy.
int busy_cpus(const std::vector<CpuTimes>& before, const std::vector<CpuTimes>& after,
              const std::vector<int>& usable);

/// The CPUs this process may run on (its affinity mask) less those busy over the next `window`
/// (this thread sleeps meanwhile; call it before the process starts working, as its own
/// running threads would count as busy too). At least 1; all of them when /proc/stat cannot be
/// read.
int free_cpus(std::chrono::milliseconds window);

}  // namespace engine
