#include "backend/memory/memory_events.h"

#include <algorithm>
#include <chrono>

namespace tandem::memory {

MemoryEvents::MemoryEvents(std::shared_ptr<Store> store) : store_(std::move(store)) {}

std::vector<JobEvent> MemoryEvents::collect(std::int64_t after, std::optional<Stream> stream,
                                            std::size_t limit) const {
  std::vector<JobEvent> out;
  // events[i].seq == i + 1: the first event past `after` is at index `after`.
  auto first = static_cast<std::size_t>(std::max<std::int64_t>(after, 0));
  for (std::size_t i = first; i < store_->events.size() && out.size() < limit; ++i)
    if (!stream || store_->events[i].stream == *stream) out.push_back(store_->events[i]);
  return out;
}

Result<std::vector<JobEvent>> MemoryEvents::read(std::int64_t after, std::optional<Stream> stream,
                                                 std::size_t limit, Millis wait_ms) {
  Millis deadline = steady_millis() + std::max<Millis>(wait_ms, 0);
  std::unique_lock lock(store_->mu);
  for (;;) {
    auto out = collect(after, stream, limit);
    Millis left = deadline - steady_millis();
    if (!out.empty() || limit == 0 || left <= 0) return out;
    store_->event_added.wait_for(lock, std::chrono::milliseconds(left));
  }
}

Result<std::int64_t> MemoryEvents::offset(std::string_view consumer) {
  if (consumer.empty()) return fail(ErrorCode::kInvalid, "a consumer name must not be empty");
  std::lock_guard lock(store_->mu);
  auto it = store_->consumers.find(consumer);
  return it == store_->consumers.end() ? 0 : it->second;
}

Result<void> MemoryEvents::commit(std::string_view consumer, std::int64_t seq) {
  if (consumer.empty()) return fail(ErrorCode::kInvalid, "a consumer name must not be empty");
  if (seq < 0)
    return fail(ErrorCode::kInvalid, "consumer '" + std::string(consumer) +
                                         "' cannot commit a negative seq (" + std::to_string(seq) +
                                         ")");
  std::lock_guard lock(store_->mu);
  auto [it, added] = store_->consumers.try_emplace(std::string(consumer), seq);
  if (!added) it->second = std::max(it->second, seq);
  return {};
}

}  // namespace tandem::memory
