#include "util/cpu_load.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace engine {
namespace {

// The next whitespace-separated number of `text` from `at`; false if there is none.
bool next_number(std::string_view text, std::size_t& at, unsigned long long& value) {
  while (at < text.size() && text[at] == ' ') ++at;
  const auto [end, error] = std::from_chars(text.data() + at, text.data() + text.size(), value);
  if (error != std::errc()) return false;
  at = static_cast<std::size_t>(end - text.data());
  return true;
}

std::vector<CpuTimes> read_cpu_times() {
  std::ifstream file("/proc/stat");
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return parse_cpu_times(text);
}

const CpuTimes* find_cpu(const std::vector<CpuTimes>& times, int cpu) {
  const auto it =
      std::find_if(times.begin(), times.end(), [cpu](const CpuTimes& t) { return t.cpu == cpu; });
  return it == times.end() ? nullptr : &*it;
}

}  // namespace

std::vector<CpuTimes> parse_cpu_times(std::string_view proc_stat) {
  std::vector<CpuTimes> result;
  while (!proc_stat.empty()) {
    const std::size_t eol = std::min(proc_stat.find('\n'), proc_stat.size());
    const std::string_view line = proc_stat.substr(0, eol);
    proc_stat.remove_prefix(std::min(eol + 1, proc_stat.size()));
    // "cpuN user nice system idle iowait irq softirq steal ..." (the "cpu " line is the sum).
    if (!line.starts_with("cpu") || line.size() < 4 || line[3] < '0' || line[3] > '9') continue;
    std::size_t at = 3;
    unsigned long long cpu = 0, fields[8] = {};
    bool ok = next_number(line, at, cpu);
    for (int i = 0; ok && i < 8; ++i) ok = next_number(line, at, fields[i]);
    if (!ok) continue;
    CpuTimes t{static_cast<int>(cpu), 0, 0};
    for (int i = 0; i < 8; ++i) t.total += fields[i];
    t.busy = t.total - fields[3] - fields[4];
    result.push_back(t);
  }
  return result;
}

int busy_cpus(const std::vector<CpuTimes>& before, const std::vector<CpuTimes>& after,
              const std::vector<int>& usable) {
  int busy = 0;
  for (const int cpu : usable) {
    const CpuTimes* a = find_cpu(before, cpu);
    const CpuTimes* b = find_cpu(after, cpu);
    if (!a || !b || b->total <= a->total || b->busy < a->busy) continue;
    busy += 2 * (b->busy - a->busy) > b->total - a->total;
  }
  return busy;
}

int free_cpus(std::chrono::milliseconds window) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  std::vector<int> usable;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) usable.push_back(cpu);
  const std::vector<CpuTimes> before = read_cpu_times();
  if (before.empty()) return std::max<int>(1, usable.size());
  std::this_thread::sleep_for(window);
  const int busy = busy_cpus(before, read_cpu_times(), usable);
  return std::max(1, static_cast<int>(usable.size()) - busy);
}

}  // namespace engine
