#include "executor/output_watch.h"

#include <algorithm>
#include <utility>

namespace tandem::local_exec {

OutputWatch::OutputWatch(std::string needle, std::size_t tail_capacity)
    : needle_(std::move(needle)), ring_(tail_capacity, '\0') {}

void OutputWatch::feed(std::string_view chunk) {
  bytes_ += static_cast<long long>(chunk.size());
  watch(chunk);
  keep(chunk);
}

// A match either lies inside `chunk`, or straddles the boundary: then it is inside the
// carried bytes (at most needle-1 of them) followed by the first needle-1 bytes of chunk.
void OutputWatch::watch(std::string_view chunk) {
  if (seen_ || needle_.empty() || chunk.empty()) return;
  const std::size_t overlap = needle_.size() - 1;
  std::string joint = carry_;
  joint.append(chunk.substr(0, overlap));
  if (joint.find(needle_) != std::string::npos || chunk.find(needle_) != std::string_view::npos) {
    seen_ = true;
    carry_.clear();
    return;
  }
  if (chunk.size() >= overlap) {
    carry_.assign(chunk.substr(chunk.size() - overlap));
  } else {
    carry_.append(chunk);
    if (carry_.size() > overlap) carry_.erase(0, carry_.size() - overlap);
  }
}

void OutputWatch::keep(std::string_view chunk) {
  const std::size_t capacity = ring_.size();
  if (capacity == 0 || chunk.empty()) return;
  if (chunk.size() >= capacity) {
    chunk = chunk.substr(chunk.size() - capacity);
    std::copy(chunk.begin(), chunk.end(), ring_.begin());
    start_ = 0;
    size_ = capacity;
    return;
  }
  const std::size_t end = (start_ + size_) % capacity;
  const std::size_t first = std::min(chunk.size(), capacity - end);
  std::copy_n(chunk.begin(), first, ring_.begin() + static_cast<std::ptrdiff_t>(end));
  std::copy(chunk.begin() + static_cast<std::ptrdiff_t>(first), chunk.end(), ring_.begin());
  size_ += chunk.size();
  if (size_ > capacity) {
    start_ = (start_ + size_ - capacity) % capacity;
    size_ = capacity;
  }
}

std::string OutputWatch::tail() const {
  const std::size_t capacity = ring_.size();
  if (size_ == 0) return {};
  const std::size_t first = std::min(size_, capacity - start_);
  std::string out = ring_.substr(start_, first);
  out.append(ring_, 0, size_ - first);
  return out;
}

}  // namespace tandem::local_exec
