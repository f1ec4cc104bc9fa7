// The pure part of watching a job's output: it is fed the output chunk by chunk, keeps
// the latest bytes (a bounded tail), counts them, and notices the success string even
// when it is split across chunks. No I/O; memory stays bounded by the tail capacity plus
// the success string's length.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tandem::local_exec {

class OutputWatch {
 public:
  static constexpr std::size_t kDefaultTailBytes = 64 * 1024;

  // `needle` empty: nothing is watched and seen() stays false.
  explicit OutputWatch(std::string needle, std::size_t tail_capacity = kDefaultTailBytes);

  // Appends the next piece of output (any length, including 0).
  void feed(std::string_view chunk);

  // True once the needle has appeared anywhere in the output fed so far.
  bool seen() const { return seen_; }

  // How many bytes were fed in total.
  long long bytes() const { return bytes_; }

  // The last min(bytes(), tail capacity) bytes fed, oldest first.
  std::string tail() const;

 private:
  void watch(std::string_view chunk);
  void keep(std::string_view chunk);

  std::string needle_;
  std::string carry_;  // the last needle-1 bytes seen, while not yet seen
  bool seen_ = false;
  long long bytes_ = 0;

  std::string ring_;       // capacity bytes; [start_, start_ + size_) modulo capacity
  std::size_t start_ = 0;  // index of the oldest byte kept
  std::size_t size_ = 0;   // bytes kept
};

}  // namespace tandem::local_exec
