// Everything the CLI prints as a result goes through here, so a failed write (a full disk, a
// closed pipe) is an error rather than a silent exit 0, as coreutils treat it.
#pragma once

#include <string_view>

namespace engine::cli {

/// Writes and flushes `bytes` to stdout (a stream shows each piece as it comes); throws
/// engine::Error (io) "cannot write to standard output: <reason>" when that fails.
void write_stdout(std::string_view bytes);

/// Flushes stdout and checks it for an earlier failed write (output printed by any means);
/// throws engine::Error (io) as write_stdout does. main() calls it before exiting 0.
void check_stdout();

}  // namespace engine::cli
