#include "backend/memory/memory_store.h"

#include <cstdio>

namespace tandem::memory {

std::shared_ptr<Store> store_named(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<Store>, std::less<>> stores;
  std::lock_guard lock(mu);
  auto it = stores.find(name);
  if (it == stores.end()) it = stores.emplace(std::string(name), std::make_shared<Store>()).first;
  return it->second;
}

void append_event(Store& store, const JobRecord& r, Millis now) {
  JobEvent e;
  e.seq = static_cast<std::int64_t>(store.events.size()) + 1;
  e.stream = stream_of(r.status);
  e.job_id = r.spec.job_id;
  e.status = r.status;
  e.reason = r.reason;
  e.attempts = static_cast<int>(r.attempts.size());
  e.at = now;
  store.events.push_back(std::move(e));
  store.event_added.notify_all();
}

std::string new_receipt(std::mt19937_64& random) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(random()),
                static_cast<unsigned long long>(random()));
  return buf;
}

}  // namespace tandem::memory
