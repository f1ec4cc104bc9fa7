#include "backend/memory/memory_queue.h"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace tandem::memory {

namespace {

std::optional<long> parse_id(const std::string& id) {
  long n = 0;
  auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc() || ptr != id.data() + id.size()) return std::nullopt;
  return n;
}

}  // namespace

MemoryQueue::MemoryQueue(std::shared_ptr<Store> store, QueueState* state, std::string name)
    : store_(std::move(store)), state_(state), name_(std::move(name)) {}

Result<void> MemoryQueue::send(std::span<const std::string> bodies) {
  {
    std::lock_guard lock(store_->mu);
    Millis now = now_millis();
    for (const auto& body : bodies) {
      long id = store_->next_message_id++;
      state_->messages.emplace(id, StoredMessage{body, now, 0, "", false});
      state_->by_visible.emplace(now, id);
    }
  }
  store_->changed.notify_all();
  return {};
}

Result<std::optional<Message>> MemoryQueue::receive(Millis lease_ms, Millis wait_ms) {
  Millis deadline = steady_millis() + std::max<Millis>(wait_ms, 0);
  std::unique_lock lock(store_->mu);
  for (;;) {
    Millis now = now_millis();
    if (auto m = take_visible(now, lease_ms)) return m;
    Millis sleep = deadline - steady_millis();
    if (sleep <= 0) return std::optional<Message>();
    if (!state_->by_visible.empty())
      sleep = std::clamp<Millis>(state_->by_visible.begin()->first - now, 1, sleep);
    store_->changed.wait_for(lock, std::chrono::milliseconds(sleep));
  }
}

std::optional<Message> MemoryQueue::take_visible(Millis now, Millis lease_ms) {
  if (state_->by_visible.empty() || state_->by_visible.begin()->first > now) return std::nullopt;
  long id = state_->by_visible.begin()->second;
  StoredMessage& msg = state_->messages.at(id);
  set_visible_at(id, msg, now + lease_ms);
  msg.receive_count += 1;
  msg.receipt = new_receipt(store_->random);
  msg.leased = true;
  return Message{std::to_string(id), msg.body, msg.receipt, msg.receive_count};
}

Result<std::map<long, StoredMessage>::iterator> MemoryQueue::held(const Message& m) {
  auto id = parse_id(m.id);
  auto it = id ? state_->messages.find(*id) : state_->messages.end();
  if (it == state_->messages.end() || it->second.receipt.empty() || it->second.receipt != m.receipt)
    return fail(ErrorCode::kLeaseLost,
                "message " + m.id + " of queue '" + name_ +
                    "' is no longer held by this receipt (its lease ended and it was "
                    "received again, or it was released or removed)");
  return it;
}

void MemoryQueue::set_visible_at(long id, StoredMessage& msg, Millis at) {
  state_->by_visible.erase({msg.visible_at, id});
  msg.visible_at = at;
  state_->by_visible.emplace(at, id);
}

void MemoryQueue::erase(std::map<long, StoredMessage>::iterator it) {
  state_->by_visible.erase({it->second.visible_at, it->first});
  state_->messages.erase(it);
}

Result<void> MemoryQueue::renew(const Message& m, Millis lease_ms) {
  std::lock_guard lock(store_->mu);
  auto it = held(m);
  if (!it) return std::unexpected(it.error());
  set_visible_at((*it)->first, (*it)->second, now_millis() + lease_ms);
  (*it)->second.leased = true;
  return {};
}

Result<void> MemoryQueue::release(const Message& m, Millis delay_ms) {
  {
    std::lock_guard lock(store_->mu);
    auto it = held(m);
    if (!it) return std::unexpected(it.error());
    StoredMessage& msg = (*it)->second;
    set_visible_at((*it)->first, msg, now_millis() + std::max<Millis>(delay_ms, 0));
    msg.leased = false;
    msg.receipt.clear();
  }
  store_->changed.notify_all();
  return {};
}

Result<void> MemoryQueue::remove(const Message& m) {
  std::lock_guard lock(store_->mu);
  auto it = held(m);
  if (!it) return std::unexpected(it.error());
  erase(*it);
  return {};
}

Result<void> MemoryQueue::dead_letter(const Message& m, const std::string& reason) {
  std::lock_guard lock(store_->mu);
  auto it = held(m);
  if (!it) return std::unexpected(it.error());
  state_->dead.push_back(DeadLetter{(*it)->first, (*it)->second.body, reason, now_millis()});
  erase(*it);
  return {};
}

Result<QueueStats> MemoryQueue::stats() {
  std::lock_guard lock(store_->mu);
  Millis now = now_millis();
  QueueStats s;
  for (const auto& [id, msg] : state_->messages) {
    if (msg.visible_at <= now)
      ++s.visible;
    else if (msg.leased)
      ++s.in_flight;
    else
      ++s.delayed;
  }
  s.dead = static_cast<long>(state_->dead.size());
  return s;
}

}  // namespace tandem::memory
