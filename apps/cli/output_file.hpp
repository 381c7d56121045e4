// Output files written whole or not at all, and never over a command's own inputs.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace engine::cli {

/// Throws engine::Error (invalid_argument) when `output` is the same file as one of `inputs`
/// (same device and inode, so links and other spellings of a name count too). Missing files
/// are not the same as anything.
void check_not_an_input(const std::string& output, std::span<const std::string> inputs);

/// A file being written: the bytes go to a temporary file in the target's directory, and
/// commit() flushes it to disk (fsync) and renames it over the target. Destroyed uncommitted
/// (an error, an exception, Ctrl-C's unwinding) it removes the temporary, so the target holds
/// either its old contents or the complete new ones, never a truncated mix.
class OutputFile {
 public:
  /// Checks `path` against `inputs` (check_not_an_input), then creates the temporary; throws
  /// engine::Error (io) naming the directory and the reason when it cannot.
  explicit OutputFile(std::string path, std::span<const std::string> inputs = {});
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::string& path() const { return path_; }
  /// For writers that open a file by name (GGUF, PNG): write there, then commit().
  const std::string& temp_path() const { return temp_path_; }
  /// Appends bytes to the temporary; throws engine::Error (io) with the reason.
  void write(std::string_view bytes);
  /// fsyncs the temporary and renames it over path(); throws engine::Error (io) with the reason.
  void commit();

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

/// `bytes` as the whole of `path`, through an OutputFile.
void write_file_atomically(const std::string& path, std::string_view bytes,
                           std::span<const std::string> inputs = {});

}  // namespace engine::cli
