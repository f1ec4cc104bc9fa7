// The events: a finished and a failed stream (the post's two output queues) that a
// program consumes without polling the job table. Each event is appended in the same
// transaction as the final status it reports, so none is lost and none is doubled; a
// consumer's offset is kept in the backend, so a consumer that starts later reads from
// where it left off.
//
// Not thread-safe: use one per thread (open a Backend per thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "job/job.h"

namespace tandem {

enum class Stream { kFinished, kFailed };  // SUCCEEDED; FAILED or CANCELLED

std::string_view to_string(Stream s);
std::optional<Stream> parse_stream(std::string_view text);
// The stream a final status is reported on.
Stream stream_of(Status final_status);

struct JobEvent {
  std::int64_t seq = 0;  // increasing, per backend; never reused
  Stream stream = Stream::kFinished;
  std::string job_id;
  Status status = Status::kSucceeded;  // the final status
  std::string reason;
  int attempts = 0;
  Millis at = 0;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Events with seq > `after`, oldest first, at most `limit`, of `stream` only if set.
  // Waits up to `wait_ms` for at least one. An empty vector when none came (at once for a
  // `limit` of 0).
  virtual Result<std::vector<JobEvent>> read(std::int64_t after, std::optional<Stream> stream,
                                             std::size_t limit, Millis wait_ms) = 0;

  // The last seq consumer `name` committed; 0 for a consumer never seen. kInvalid for an
  // empty name.
  virtual Result<std::int64_t> offset(std::string_view consumer) = 0;

  // Records that `consumer` has handled every event up to `seq`. Never moves back:
  // committing a smaller seq than the stored one changes nothing. kInvalid for an empty
  // name or a negative seq.
  virtual Result<void> commit(std::string_view consumer, std::int64_t seq) = 0;
};

}  // namespace tandem
