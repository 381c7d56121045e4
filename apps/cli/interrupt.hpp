// Ctrl-C as a request to stop: the handler only sets a flag the command polls between tokens, so
// the command can end its output cleanly (finish the line, print the summary) first.
#pragma once

namespace engine::cli {

/// Installs the SIGINT handler. Without SA_RESTART, a read blocked at a prompt returns (EINTR).
void catch_interrupts();

/// Whether Ctrl-C came since catch_interrupts().
bool interrupted();

/// Flushes stdout and ends the process by SIGINT's default action, so a shell or a script sees
/// an interrupted command (status 130), as with any Unix tool stopped by Ctrl-C.
[[noreturn]] void end_as_interrupted();

}  // namespace engine::cli
