#include "backend/sqlite/sqlite_table.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "backend/sqlite/sqlite_events.h"
#include "job/parse.h"

namespace tandem::sqlite {

namespace {

constexpr std::string_view kLostReason =
    "its worker vanished: the lease expired before the attempt ended";

struct JobState {
  Status status = Status::kPending;
  bool cancel_requested = false;
  int attempt_count = 0;
};

Error corrupt(std::string_view job_id, const std::string& what) {
  return Error{ErrorCode::kInternal,
               "job '" + std::string(job_id) + "' in the database is unreadable: " + what};
}

Result<JobSpec> parse_spec(std::string_view job_id, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::unexpected(corrupt(job_id, "its spec is not JSON"));
  auto spec = job_from_json(j, "stored job");
  if (!spec) return std::unexpected(corrupt(job_id, spec.error().message));
  return spec;
}

Result<Status> parse_stored_status(std::string_view job_id, const std::string& text) {
  auto s = parse_status(text);
  if (!s) return std::unexpected(corrupt(job_id, "unknown status '" + text + "'"));
  return *s;
}

// The job's status, or kNotFound.
Result<JobState> load_state(Db& db, std::string_view job_id) {
  auto q = db.prepare("SELECT status, cancel_requested, attempt_count FROM jobs WHERE job_id = ?1");
  if (!q) return std::unexpected(q.error());
  auto row = q->bind(1, job_id).step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorCode::kNotFound, "no job '" + std::string(job_id) + "'");
  auto status = parse_stored_status(job_id, q->text(0));
  if (!status) return std::unexpected(status.error());
  return JobState{*status, q->integer(1) != 0, static_cast<int>(q->integer(2))};
}

// As load_state, and kConflict if the job is final.
Result<JobState> load_open(Db& db, std::string_view job_id) {
  auto state = load_state(db, job_id);
  if (state && is_final(state->status))
    return fail(ErrorCode::kConflict, "job '" + std::string(job_id) + "' is already " +
                                          std::string(to_string(state->status)));
  return state;
}

Result<void> close_open_attempts(Db& db, std::string_view job_id, Millis now) {
  auto q = db.prepare(
      "UPDATE attempts SET verdict = 'LOST', reason = ?2, ended_at = ?3 "
      "WHERE job_id = ?1 AND verdict = 'RUNNING'");
  if (!q) return std::unexpected(q.error());
  auto ran = q->bind(1, job_id).bind(2, kLostReason).bind(3, now).run();
  if (!ran) return std::unexpected(ran.error());
  return {};
}

Result<void> set_status(Db& db, std::string_view job_id, Status status, std::string_view reason,
                        Millis now) {
  auto q =
      db.prepare("UPDATE jobs SET status = ?2, reason = ?3, updated_at = ?4 WHERE job_id = ?1");
  if (!q) return std::unexpected(q.error());
  auto ran = q->bind(1, job_id).bind(2, to_string(status)).bind(3, reason).bind(4, now).run();
  if (!ran) return std::unexpected(ran.error());
  return {};
}

// Adds one job unless its id is taken. Returns whether it was added; kConflict if the id
// is taken by another spec.
Result<bool> insert_job(Db& db, const JobSpec& spec, const std::string& json, Millis now) {
  auto insert = db.prepare(
      "INSERT INTO jobs (job_id, spec, status, submitted_at, updated_at) "
      "VALUES (?1, ?2, 'PENDING', ?3, ?3) ON CONFLICT (job_id) DO NOTHING");
  if (!insert) return std::unexpected(insert.error());
  auto inserted = insert->bind(1, spec.job_id).bind(2, json).bind(3, now).run();
  if (!inserted) return std::unexpected(inserted.error());
  if (*inserted == 1) return true;
  auto stored = db.prepare("SELECT spec FROM jobs WHERE job_id = ?1");
  if (!stored) return std::unexpected(stored.error());
  auto row = stored->bind(1, spec.job_id).step();
  if (!row) return std::unexpected(row.error());
  if (*row && stored->text(0) == json) return false;
  return fail(ErrorCode::kConflict, "job '" + spec.job_id + "' already exists with other content");
}

}  // namespace

Result<PutResult> insert_jobs(Db& db, std::span<const JobSpec> jobs, Millis now,
                              std::vector<std::string>* added_bodies) {
  PutResult result;
  for (const auto& spec : jobs) {
    auto json = job_to_text(spec);
    if (!json) return std::unexpected(json.error());
    auto added = insert_job(db, spec, *json, now);
    if (!added) return std::unexpected(added.error());
    if (!*added) {
      ++result.existing;
      continue;
    }
    result.added.push_back(spec.job_id);
    if (added_bodies != nullptr) added_bodies->push_back(std::move(*json));
  }
  return result;
}

Result<PutResult> SqliteTable::put(std::span<const JobSpec> jobs, Millis now) {
  return db_.transaction(true, [&] { return insert_jobs(db_, jobs, now, nullptr); });
}

Result<std::optional<JobRecord>> SqliteTable::get(std::string_view job_id) {
  return db_.transaction(false, [&]() -> Result<std::optional<JobRecord>> {
    auto q = db_.prepare(
        "SELECT spec, status, cancel_requested, reason, submitted_at, updated_at "
        "FROM jobs WHERE job_id = ?1");
    if (!q) return std::unexpected(q.error());
    auto row = q->bind(1, job_id).step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<JobRecord>();
    JobRecord r;
    auto spec = parse_spec(job_id, q->text(0));
    if (!spec) return std::unexpected(spec.error());
    auto status = parse_stored_status(job_id, q->text(1));
    if (!status) return std::unexpected(status.error());
    r.spec = std::move(*spec);
    r.status = *status;
    r.cancel_requested = q->integer(2) != 0;
    r.reason = q->text(3);
    r.submitted_at = q->integer(4);
    r.updated_at = q->integer(5);
    auto attempts = load_attempts(job_id);
    if (!attempts) return std::unexpected(attempts.error());
    r.attempts = std::move(*attempts);
    return std::optional<JobRecord>(std::move(r));
  });
}

Result<std::vector<Attempt>> SqliteTable::load_attempts(std::string_view job_id) {
  auto q = db_.prepare(
      "SELECT number, worker, started_at, ended_at, exit_code, verdict, reason, output_tail, "
      "log FROM attempts WHERE job_id = ?1 ORDER BY number");
  if (!q) return std::unexpected(q.error());
  q->bind(1, job_id);
  std::vector<Attempt> out;
  for (;;) {
    auto row = q->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    Attempt a;
    a.number = static_cast<int>(q->integer(0));
    a.worker = q->text(1);
    a.started_at = q->integer(2);
    a.ended_at = q->integer(3);
    if (!q->is_null(4)) a.exit_code = static_cast<int>(q->integer(4));
    auto verdict = parse_verdict(q->text(5));
    if (!verdict) return std::unexpected(corrupt(job_id, "unknown verdict '" + q->text(5) + "'"));
    a.verdict = *verdict;
    a.reason = q->text(6);
    a.output_tail = q->blob(7);
    a.log = q->text(8);
    out.push_back(std::move(a));
  }
}

Result<std::vector<JobSummary>> SqliteTable::list(std::optional<Status> status, std::size_t limit) {
  constexpr std::string_view kAll =
      "SELECT job_id, status, attempt_count, updated_at, reason FROM jobs "
      "ORDER BY seq LIMIT ?1";
  constexpr std::string_view kOfStatus =
      "SELECT job_id, status, attempt_count, updated_at, reason FROM jobs "
      "WHERE status = ?2 ORDER BY seq LIMIT ?1";
  auto q = db_.prepare(status ? kOfStatus : kAll);
  if (!q) return std::unexpected(q.error());
  auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  q->bind(1, static_cast<std::int64_t>(std::min(limit, max)));
  if (status) q->bind(2, to_string(*status));
  std::vector<JobSummary> out;
  for (;;) {
    auto row = q->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    JobSummary s;
    s.job_id = q->text(0);
    auto parsed = parse_stored_status(s.job_id, q->text(1));
    if (!parsed) return std::unexpected(parsed.error());
    s.status = *parsed;
    s.attempts = static_cast<int>(q->integer(2));
    s.updated_at = q->integer(3);
    s.reason = q->text(4);
    out.push_back(std::move(s));
  }
}

Result<StatusCounts> SqliteTable::counts() {
  auto q = db_.prepare("SELECT status, COUNT(*) FROM jobs GROUP BY status");
  if (!q) return std::unexpected(q.error());
  StatusCounts counts;
  for (;;) {
    auto row = q->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return counts;
    auto status = parse_stored_status("?", q->text(0));
    if (!status) return std::unexpected(status.error());
    counts.by_status[*status] = static_cast<long>(q->integer(1));
  }
}

Result<void> SqliteTable::begin_attempt(std::string_view job_id, int number,
                                        const std::string& worker, const std::string& log,
                                        Millis now) {
  return db_.transaction(true, [&]() -> Result<void> {
    auto state = load_open(db_, job_id);
    if (!state) return std::unexpected(state.error());
    if (state->cancel_requested)
      return fail(ErrorCode::kConflict, "job '" + std::string(job_id) + "' has a cancel request");
    if (state->attempt_count != number - 1)
      return fail(ErrorCode::kConflict,
                  "job '" + std::string(job_id) + "' has " + std::to_string(state->attempt_count) +
                      " attempts: attempt " + std::to_string(number) + " cannot begin");
    if (auto closed = close_open_attempts(db_, job_id, now); !closed) return closed;
    auto insert = db_.prepare(
        "INSERT INTO attempts (job_id, number, worker, started_at, verdict, log) "
        "VALUES (?1, ?2, ?3, ?4, 'RUNNING', ?5)");
    if (!insert) return std::unexpected(insert.error());
    auto ran =
        insert->bind(1, job_id).bind(2, number).bind(3, worker).bind(4, now).bind(5, log).run();
    if (!ran) return std::unexpected(ran.error());
    auto update = db_.prepare(
        "UPDATE jobs SET status = 'RUNNING', attempt_count = ?2, updated_at = ?3 "
        "WHERE job_id = ?1");
    if (!update) return std::unexpected(update.error());
    auto updated = update->bind(1, job_id).bind(2, number).bind(3, now).run();
    if (!updated) return std::unexpected(updated.error());
    return {};
  });
}

Result<void> SqliteTable::end_attempt(std::string_view job_id, const Attempt& a, Status status,
                                      const std::string& reason, Millis now) {
  if (status == Status::kRunning || a.verdict == Verdict::kRunning)
    return fail(ErrorCode::kInvalid,
                "end_attempt needs an ended verdict and a job status "
                "of PENDING or a final one");
  return db_.transaction(true, [&]() -> Result<void> {
    auto state = load_open(db_, job_id);
    if (!state) return std::unexpected(state.error());
    auto close = db_.prepare(
        "UPDATE attempts SET ended_at = ?3, exit_code = ?4, verdict = ?5, reason = ?6, "
        "output_tail = ?7 WHERE job_id = ?1 AND number = ?2 AND verdict = 'RUNNING'");
    if (!close) return std::unexpected(close.error());
    close->bind(1, job_id).bind(2, a.number).bind(3, a.ended_at != 0 ? a.ended_at : now);
    if (a.exit_code)
      close->bind(4, *a.exit_code);
    else
      close->bind_null(4);
    std::string_view tail = a.output_tail;
    if (tail.size() > kOutputTailBytes) tail = tail.substr(tail.size() - kOutputTailBytes);
    auto closed = close->bind(5, to_string(a.verdict)).bind(6, a.reason).bind_blob(7, tail).run();
    if (!closed) return std::unexpected(closed.error());
    if (*closed == 0)
      return fail(ErrorCode::kConflict, "attempt " + std::to_string(a.number) + " of job '" +
                                            std::string(job_id) + "' is not open");
    if (auto set = set_status(db_, job_id, status, reason, now); !set || !is_final(status))
      return set;
    return append_event(db_, job_id, status, now);
  });
}

Result<void> SqliteTable::finish(std::string_view job_id, Status status, const std::string& reason,
                                 Millis now) {
  if (!is_final(status))
    return fail(ErrorCode::kInvalid,
                "finish needs a final status, not " + std::string(to_string(status)));
  return db_.transaction(true, [&]() -> Result<void> {
    auto state = load_open(db_, job_id);
    if (!state) return std::unexpected(state.error());
    if (auto closed = close_open_attempts(db_, job_id, now); !closed) return closed;
    if (auto set = set_status(db_, job_id, status, reason, now); !set) return set;
    return append_event(db_, job_id, status, now);
  });
}

Result<Status> SqliteTable::cancel(std::string_view job_id, Millis now) {
  return db_.transaction(true, [&]() -> Result<Status> {
    auto state = load_open(db_, job_id);
    if (!state) return std::unexpected(state.error());
    if (state->status != Status::kRunning) {
      auto done = set_status(db_, job_id, Status::kCancelled, "cancelled by user", now);
      if (done) done = append_event(db_, job_id, Status::kCancelled, now);
      if (!done) return std::unexpected(done.error());
      return Status::kCancelled;
    }
    auto request =
        db_.prepare("UPDATE jobs SET cancel_requested = 1, updated_at = ?2 WHERE job_id = ?1");
    if (!request) return std::unexpected(request.error());
    auto ran = request->bind(1, job_id).bind(2, now).run();
    if (!ran) return std::unexpected(ran.error());
    return Status::kRunning;
  });
}

}  // namespace tandem::sqlite
