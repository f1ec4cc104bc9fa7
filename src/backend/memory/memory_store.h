// The state behind memory:// backends: one Store per name, shared by every Backend
// opened with that name in this process. Every field is guarded by `mu`.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backend/events.h"
#include "backend/workers.h"
#include "common/clock.h"
#include "job/job.h"

namespace tandem::memory {

struct StoredMessage {
  std::string body;
  Millis visible_at = 0;
  int receive_count = 0;
  std::string receipt;  // empty while no one holds the message
  bool leased = false;  // received and not released since
};

struct DeadLetter {
  long message_id = 0;
  std::string body;
  std::string reason;
  Millis at = 0;
};

struct QueueState {
  std::map<long, StoredMessage> messages;        // by id
  std::set<std::pair<Millis, long>> by_visible;  // (visible_at, id): the receive order
  std::vector<DeadLetter> dead;
};

struct Store {
  std::mutex mu;
  std::condition_variable changed;  // notified when a message may have become visible
  long next_message_id = 1;
  std::map<std::string, QueueState, std::less<>> queues;  // nodes are never erased
  std::unordered_map<std::string, JobRecord> jobs;
  std::vector<std::string> submission_order;                   // job ids
  std::condition_variable event_added;                         // notified when an event is appended
  std::vector<JobEvent> events;                                // events[i].seq == i + 1
  std::map<std::string, std::int64_t, std::less<>> consumers;  // committed offsets
  std::map<std::string, WorkerRecord, std::less<>> workers;    // by id
  std::vector<std::string> worker_order;                       // worker ids, in registration order
  std::mt19937_64 random{std::random_device{}()};
};

// The store of that name, created on first use; it lives until the process ends.
// Thread-safe.
std::shared_ptr<Store> store_named(std::string_view name);

// Appends the event that reports job `r`'s final status (its status, reason and attempt
// count) and wakes the readers. Needs store.mu held.
void append_event(Store& store, const JobRecord& r, Millis now);

// 128 random bits as 32 hex digits. Needs the generator's store locked.
std::string new_receipt(std::mt19937_64& random);

}  // namespace tandem::memory
