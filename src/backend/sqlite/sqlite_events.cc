#include "backend/sqlite/sqlite_events.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>

namespace tandem::sqlite {

namespace {

constexpr Millis kFirstPollMs = 5;
constexpr Millis kMaxPollMs = 200;

Error corrupt(std::int64_t seq, const std::string& what) {
  return Error{ErrorCode::kInternal,
               "event " + std::to_string(seq) + " in the database is unreadable: " + what};
}

// The event in the current row of `q` (seq, stream, job_id, status, reason, attempts, at).
Result<JobEvent> event_of(const Statement& q) {
  JobEvent e;
  e.seq = q.integer(0);
  auto stream = parse_stream(q.text(1));
  if (!stream) return std::unexpected(corrupt(e.seq, "unknown stream '" + q.text(1) + "'"));
  auto status = parse_status(q.text(3));
  if (!status) return std::unexpected(corrupt(e.seq, "unknown status '" + q.text(3) + "'"));
  e.stream = *stream;
  e.job_id = q.text(2);
  e.status = *status;
  e.reason = q.text(4);
  e.attempts = static_cast<int>(q.integer(5));
  e.at = q.integer(6);
  return e;
}

Result<void> check_consumer(std::string_view consumer) {
  if (consumer.empty()) return fail(ErrorCode::kInvalid, "a consumer name must not be empty");
  return {};
}

}  // namespace

Result<void> append_event(Db& db, std::string_view job_id, Status final_status, Millis now) {
  auto insert = db.prepare(
      "INSERT INTO events (stream, job_id, status, reason, attempts, at) "
      "SELECT ?2, job_id, status, reason, attempt_count, ?3 FROM jobs WHERE job_id = ?1");
  if (!insert) return std::unexpected(insert.error());
  auto added =
      insert->bind(1, job_id).bind(2, to_string(stream_of(final_status))).bind(3, now).run();
  if (!added) return std::unexpected(added.error());
  if (*added != 1)
    return fail(ErrorCode::kInternal, "no job '" + std::string(job_id) + "' to report");
  return {};
}

Result<std::vector<JobEvent>> SqliteEvents::select(std::int64_t after, std::optional<Stream> stream,
                                                   std::size_t limit) {
  constexpr std::string_view kAll =
      "SELECT seq, stream, job_id, status, reason, attempts, at FROM events "
      "WHERE seq > ?1 ORDER BY seq LIMIT ?2";
  constexpr std::string_view kOfStream =
      "SELECT seq, stream, job_id, status, reason, attempts, at FROM events "
      "WHERE seq > ?1 AND stream = ?3 ORDER BY seq LIMIT ?2";
  auto q = db_.prepare(stream ? kOfStream : kAll);
  if (!q) return std::unexpected(q.error());
  auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  q->bind(1, after).bind(2, static_cast<std::int64_t>(std::min(limit, max)));
  if (stream) q->bind(3, to_string(*stream));
  std::vector<JobEvent> out;
  for (;;) {
    auto row = q->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    auto e = event_of(*q);
    if (!e) return std::unexpected(e.error());
    out.push_back(std::move(*e));
  }
}

Result<std::vector<JobEvent>> SqliteEvents::read(std::int64_t after, std::optional<Stream> stream,
                                                 std::size_t limit, Millis wait_ms) {
  Millis deadline = steady_millis() + std::max<Millis>(wait_ms, 0);
  Millis poll = kFirstPollMs;
  for (;;) {
    auto events = select(after, stream, limit);
    if (!events || !events->empty() || limit == 0) return events;
    Millis sleep = std::min(poll, deadline - steady_millis());
    if (sleep <= 0) return events;
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep));
    poll = std::min(poll * 2, kMaxPollMs);
  }
}

Result<std::int64_t> SqliteEvents::offset(std::string_view consumer) {
  if (auto valid = check_consumer(consumer); !valid) return std::unexpected(valid.error());
  auto q = db_.prepare("SELECT seq FROM consumers WHERE name = ?1");
  if (!q) return std::unexpected(q.error());
  auto row = q->bind(1, consumer).step();
  if (!row) return std::unexpected(row.error());
  return *row ? q->integer(0) : 0;
}

Result<void> SqliteEvents::commit(std::string_view consumer, std::int64_t seq) {
  if (auto valid = check_consumer(consumer); !valid) return valid;
  if (seq < 0)
    return fail(ErrorCode::kInvalid, "consumer '" + std::string(consumer) +
                                         "' cannot commit a negative seq (" + std::to_string(seq) +
                                         ")");
  return db_.transaction(true, [&]() -> Result<void> {
    auto upsert = db_.prepare(
        "INSERT INTO consumers (name, seq) VALUES (?1, ?2) "
        "ON CONFLICT (name) DO UPDATE SET seq = max(seq, excluded.seq)");
    if (!upsert) return std::unexpected(upsert.error());
    auto ran = upsert->bind(1, consumer).bind(2, seq).run();
    if (!ran) return std::unexpected(ran.error());
    return {};
  });
}

}  // namespace tandem::sqlite
