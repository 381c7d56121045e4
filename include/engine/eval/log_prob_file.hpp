// The base of a KL-divergence comparison: the log-probabilities a model gave at each scored
// token, stored so a later run (another weight type) can be measured against them.
//
// Layout (little-endian, as the host writes it): the magic "ENGLOGP1", u32 vocab_size, u32 0,
// u64 tokens, u64 the fingerprint of the scored sequences (sequences_fingerprint), then per scored
// token in index order a record of i32 target and vocab_size f32 log-probabilities. Fixed-size
// records let a run write and read them by index.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace engine {

class MappedFile;
struct ScoredSequence;

/// FNV-1a over the tokens and loss masks of `sequences`: a run compares against a base only when
/// it scores the same tokens with the same contexts.
std::uint64_t sequences_fingerprint(std::span<const ScoredSequence> sequences);

/// Writes a file of `tokens` records at `path`, record by record in any order.
class LogProbFileWriter {
 public:
  /// Creates (truncates) `path`; throws engine::Error (io) naming it on failure.
  LogProbFileWriter(const std::string& path, int vocab_size, std::int64_t tokens,
                    std::uint64_t fingerprint);
  ~LogProbFileWriter();
  LogProbFileWriter(const LogProbFileWriter&) = delete;
  LogProbFileWriter& operator=(const LogProbFileWriter&) = delete;

  /// Record `index`: the target and its (vocab_size) log-probabilities, stored as f32.
  void write(std::int64_t index, int target, std::span<const double> log_probs);
  /// Closes the file; throws engine::Error (io) unless every record was written once.
  void close();

 private:
  std::string path_;
  int fd_ = -1;
  int vocab_size_;
  std::int64_t tokens_;
  std::int64_t written_ = 0;
  std::vector<char> record_;  // one record's bytes: the target, then the f32 log-probabilities
};

/// A file LogProbFileWriter wrote, mapped.
class LogProbFile {
 public:
  /// Throws engine::Error (invalid_argument) naming the file when it is not one, or is cut short.
  explicit LogProbFile(const std::string& path);
  ~LogProbFile();

  int vocab_size() const { return vocab_size_; }
  std::int64_t tokens() const { return tokens_; }
  std::uint64_t fingerprint() const { return fingerprint_; }
  /// The target of record `index`.
  int target(std::int64_t index) const;
  /// The log-probabilities of record `index` (vocab_size), valid until the next call.
  std::span<const float> log_probs(std::int64_t index);

 private:
  std::unique_ptr<MappedFile> file_;
  int vocab_size_ = 0;
  std::int64_t tokens_ = 0;
  std::uint64_t fingerprint_ = 0;
  std::vector<float> row_;  // (vocab_size) the last record read
};

}  // namespace engine
