#include "cli/interrupt.hpp"

#include <signal.h>

#include <atomic>
#include <cstdlib>

#include "cli/standard_output.hpp"

namespace engine::cli {
namespace {

std::atomic<bool> interrupt_seen{false};

void on_interrupt(int) {
  interrupt_seen = true;
}

}  // namespace

void catch_interrupts() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

bool interrupted() {
  return interrupt_seen.load();
}

void end_as_interrupted() {
  check_stdout();
  signal(SIGINT, SIG_DFL);
  raise(SIGINT);
  std::_Exit(128 + SIGINT);  // not reached: SIGINT's default action ends the process
}

}  // namespace engine::cli
