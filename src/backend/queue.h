// The queue: delivers job messages at least once, each under a lease (SQS: visibility
// timeout) that its holder renews while the job runs.
//
// A Queue is not thread-safe: use one per thread (open a Backend per thread). Messages
// are shared by every Queue of the same name on the same backend, in any process.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "common/clock.h"
#include "common/error.h"

namespace tandem {

struct Message {
  std::string id;       // stable for the message's life
  std::string body;     // the job as JSON (the post's format)
  std::string receipt;  // proves the current lease; a new one on every receive
  int receive_count = 0;  // 1 on the first delivery
};

struct QueueStats {
  long visible = 0;    // ready to be received now
  long in_flight = 0;  // under a lease
  long delayed = 0;    // released with a delay that has not passed yet
  long dead = 0;       // set aside by dead_letter
};

class Queue {
 public:
  virtual ~Queue() = default;

  // Appends messages, visible at once. All or nothing: on error none was added.
  virtual Result<void> send(std::span<const std::string> bodies) = 0;

  // Takes the oldest visible message (the one visible the longest; among those sent
  // together, the first sent) and leases it for `lease_ms`: no one else receives it until
  // the lease ends. Waits up to `wait_ms` for one to become visible. Returns
  // nullopt when none did.
  virtual Result<std::optional<Message>> receive(Millis lease_ms, Millis wait_ms) = 0;

  // Extends the lease to `lease_ms` from now. kLeaseLost if `m.receipt` no longer holds
  // the message (the lease ended and another receive took it, or it was released or
  // removed).
  virtual Result<void> renew(const Message& m, Millis lease_ms) = 0;

  // Ends the lease early: the message becomes visible again after `delay_ms`.
  // kLeaseLost as for renew.
  virtual Result<void> release(const Message& m, Millis delay_ms) = 0;

  // Deletes the message for good. kLeaseLost as for renew.
  virtual Result<void> remove(const Message& m) = 0;

  // Moves a message that can never be processed (its body does not parse) out of the
  // queue, keeping it with `reason` for inspection. kLeaseLost as for renew.
  virtual Result<void> dead_letter(const Message& m, const std::string& reason) = 0;

  virtual Result<QueueStats> stats() = 0;
};

}  // namespace tandem
