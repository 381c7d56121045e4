#include "engine/eval/log_prob_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "engine/error.hpp"
#include "engine/eval/perplexity.hpp"
#include "util/mapped_file.hpp"

namespace engine {

namespace {

constexpr std::string_view kMagic = "ENGLOGP1";
// The magic, u32 vocab_size, u32 0, u64 tokens, u64 fingerprint.
constexpr std::size_t kHeaderBytes = 32;

std::size_t record_bytes(int vocab_size) {
  return sizeof(std::int32_t) + sizeof(float) * static_cast<std::size_t>(vocab_size);
}

std::size_t record_offset(std::int64_t index, int vocab_size) {
  return kHeaderBytes + static_cast<std::size_t>(index) * record_bytes(vocab_size);
}

}  // namespace

std::uint64_t sequences_fingerprint(std::span<const ScoredSequence> sequences) {
  std::uint64_t hash = 14695981039346656037ull;
  const auto mix = [&](std::uint64_t value) {
    for (int byte = 0; byte < 8; ++byte, value >>= 8)
      hash = (hash ^ (value & 0xff)) * 1099511628211ull;
  };
  for (const ScoredSequence& s : sequences) {
    mix(s.tokens.size());
    for (std::size_t t = 0; t < s.tokens.size(); ++t)
      mix(static_cast<std::uint64_t>(static_cast<std::uint32_t>(s.tokens[t])) << 1 | s.scored[t]);
  }
  return hash;
}

LogProbFileWriter::LogProbFileWriter(const std::string& path, int vocab_size, std::int64_t tokens,
                                     std::uint64_t fingerprint)
    : path_(path), vocab_size_(vocab_size), tokens_(tokens), record_(record_bytes(vocab_size)) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error(ErrorCode::io, fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  char header[kHeaderBytes] = {};
  std::memcpy(header, kMagic.data(), kMagic.size());
  const std::uint32_t vocab = static_cast<std::uint32_t>(vocab_size);
  const std::uint64_t count = static_cast<std::uint64_t>(tokens);
  std::memcpy(header + 8, &vocab, sizeof vocab);
  std::memcpy(header + 16, &count, sizeof count);
  std::memcpy(header + 24, &fingerprint, sizeof fingerprint);
  if (::pwrite(fd_, header, kHeaderBytes, 0) != static_cast<ssize_t>(kHeaderBytes))
    throw Error(ErrorCode::io, fmt::format("cannot write {}: {}", path, std::strerror(errno)));
}

LogProbFileWriter::~LogProbFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void LogProbFileWriter::write(std::int64_t index, int target, std::span<const double> log_probs) {
  if (index < 0 || index >= tokens_ || log_probs.size() != static_cast<std::size_t>(vocab_size_))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{}: record {} of {} values does not fit a file of {} records of {}",
                            path_, index, log_probs.size(), tokens_, vocab_size_));
  const std::int32_t t = target;
  std::memcpy(record_.data(), &t, sizeof t);
  for (std::size_t j = 0; j < log_probs.size(); ++j) {
    const float f = static_cast<float>(log_probs[j]);
    std::memcpy(record_.data() + sizeof t + j * sizeof f, &f, sizeof f);
  }
  const auto offset = static_cast<off_t>(record_offset(index, vocab_size_));
  if (::pwrite(fd_, record_.data(), record_.size(), offset) != static_cast<ssize_t>(record_.size()))
    throw Error(ErrorCode::io, fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
  ++written_;
}

void LogProbFileWriter::close() {
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0)
    throw Error(ErrorCode::io, fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
  if (written_ != tokens_)
    throw Error(ErrorCode::io,
                fmt::format("{}: {} of {} records written", path_, written_, tokens_));
}

LogProbFile::LogProbFile(const std::string& path) : file_(std::make_unique<MappedFile>(path)) {
  const std::uint8_t* data = file_->data();
  const auto bad = [&](std::string_view why) {
    return Error(ErrorCode::invalid_argument,
                 fmt::format("{} is not a base of log-probabilities (from --kl-divergence-base): "
                             "{}",
                             path, why));
  };
  if (file_->size() < kHeaderBytes || std::memcmp(data, kMagic.data(), kMagic.size()) != 0)
    throw bad("no ENGLOGP1 header");
  std::uint32_t vocab = 0;
  std::uint64_t count = 0;
  std::memcpy(&vocab, data + 8, sizeof vocab);
  std::memcpy(&count, data + 16, sizeof count);
  std::memcpy(&fingerprint_, data + 24, sizeof fingerprint_);
  if (vocab == 0 || vocab > (1u << 24) ||
      count > (file_->size() - kHeaderBytes) / record_bytes(static_cast<int>(vocab)))
    throw bad(fmt::format("{} tokens of a vocabulary of {}", count, vocab));
  vocab_size_ = static_cast<int>(vocab);
  tokens_ = static_cast<std::int64_t>(count);
  if (file_->size() != record_offset(tokens_, vocab_size_))
    throw bad(fmt::format("{} bytes where {} tokens of a vocabulary of {} take {}", file_->size(),
                          tokens_, vocab_size_, record_offset(tokens_, vocab_size_)));
  row_.resize(vocab);
}

LogProbFile::~LogProbFile() = default;

int LogProbFile::target(std::int64_t index) const {
  std::int32_t t = 0;
  std::memcpy(&t, file_->data() + record_offset(index, vocab_size_), sizeof t);
  return t;
}

std::span<const float> LogProbFile::log_probs(std::int64_t index) {
  std::memcpy(row_.data(), file_->data() + record_offset(index, vocab_size_) + sizeof(std::int32_t),
              row_.size() * sizeof(float));
  return row_;
}

}  // namespace engine
