#include "backend/memory/memory_table.h"

#include <unordered_map>

namespace tandem::memory {

namespace {

constexpr std::string_view kLostReason =
    "its worker vanished: the lease expired before the attempt ended";

void close_open_attempts(JobRecord& job, Millis now) {
  for (auto& a : job.attempts) {
    if (a.verdict != Verdict::kRunning) continue;
    a.verdict = Verdict::kLost;
    a.reason = kLostReason;
    a.ended_at = now;
  }
}

std::string tail(const std::string& output) {
  if (output.size() <= kOutputTailBytes) return output;
  return output.substr(output.size() - kOutputTailBytes);
}

}  // namespace

MemoryTable::MemoryTable(std::shared_ptr<Store> store) : store_(std::move(store)) {}

Result<JobRecord*> MemoryTable::find(std::string_view job_id) {
  auto it = store_->jobs.find(std::string(job_id));
  if (it == store_->jobs.end())
    return fail(ErrorCode::kNotFound, "no job '" + std::string(job_id) + "'");
  return &it->second;
}

Result<JobRecord*> MemoryTable::find_open(std::string_view job_id) {
  auto job = find(job_id);
  if (job && is_final((*job)->status))
    return fail(ErrorCode::kConflict, "job '" + std::string(job_id) + "' is already " +
                                          std::string(to_string((*job)->status)));
  return job;
}

Result<PutResult> MemoryTable::put(std::span<const JobSpec> jobs, Millis now) {
  std::lock_guard lock(store_->mu);
  PutResult result;
  std::unordered_map<std::string_view, const JobSpec*> fresh;  // added by this call
  for (const auto& spec : jobs) {
    auto stored = store_->jobs.find(spec.job_id);
    const JobSpec* same_id = stored != store_->jobs.end() ? &stored->second.spec : nullptr;
    if (auto f = fresh.find(spec.job_id); f != fresh.end()) same_id = f->second;
    if (same_id == nullptr) {
      fresh.emplace(spec.job_id, &spec);
      result.added.push_back(spec.job_id);
    } else if (*same_id == spec) {
      ++result.existing;
    } else {
      return fail(ErrorCode::kConflict,
                  "job '" + spec.job_id + "' already exists with other content");
    }
  }
  for (const auto& id : result.added) {
    JobRecord record;
    record.spec = *fresh.at(id);
    record.submitted_at = now;
    record.updated_at = now;
    store_->jobs.emplace(id, std::move(record));
    store_->submission_order.push_back(id);
  }
  return result;
}

Result<std::optional<JobRecord>> MemoryTable::get(std::string_view job_id) {
  std::lock_guard lock(store_->mu);
  auto job = find(job_id);
  if (!job) return std::optional<JobRecord>();
  return std::optional<JobRecord>(**job);
}

Result<std::vector<JobSummary>> MemoryTable::list(std::optional<Status> status, std::size_t limit) {
  std::lock_guard lock(store_->mu);
  std::vector<JobSummary> out;
  for (const auto& id : store_->submission_order) {
    if (out.size() >= limit) break;
    const JobRecord& job = store_->jobs.at(id);
    if (status && job.status != *status) continue;
    out.push_back(JobSummary{id, job.status, static_cast<int>(job.attempts.size()), job.updated_at,
                             job.reason});
  }
  return out;
}

Result<StatusCounts> MemoryTable::counts() {
  std::lock_guard lock(store_->mu);
  StatusCounts counts;
  for (const auto& [id, job] : store_->jobs) ++counts.by_status[job.status];
  return counts;
}

Result<void> MemoryTable::begin_attempt(std::string_view job_id, int number,
                                        const std::string& worker, const std::string& log,
                                        Millis now) {
  std::lock_guard lock(store_->mu);
  auto job = find_open(job_id);
  if (!job) return std::unexpected(job.error());
  JobRecord& r = **job;
  if (r.cancel_requested)
    return fail(ErrorCode::kConflict, "job '" + r.spec.job_id + "' has a cancel request");
  int count = static_cast<int>(r.attempts.size());
  if (count != number - 1)
    return fail(ErrorCode::kConflict, "job '" + r.spec.job_id + "' has " + std::to_string(count) +
                                          " attempts: attempt " + std::to_string(number) +
                                          " cannot begin");
  close_open_attempts(r, now);
  Attempt a;
  a.number = number;
  a.worker = worker;
  a.started_at = now;
  a.log = log;
  r.attempts.push_back(std::move(a));
  r.status = Status::kRunning;
  r.updated_at = now;
  return {};
}

Result<void> MemoryTable::end_attempt(std::string_view job_id, const Attempt& a, Status status,
                                      const std::string& reason, Millis now) {
  if (status == Status::kRunning || a.verdict == Verdict::kRunning)
    return fail(ErrorCode::kInvalid,
                "end_attempt needs an ended verdict and a job status "
                "of PENDING or a final one");
  std::lock_guard lock(store_->mu);
  auto job = find_open(job_id);
  if (!job) return std::unexpected(job.error());
  JobRecord& r = **job;
  Attempt* open = nullptr;
  for (auto& stored : r.attempts)
    if (stored.number == a.number && stored.verdict == Verdict::kRunning) open = &stored;
  if (open == nullptr)
    return fail(ErrorCode::kConflict, "attempt " + std::to_string(a.number) + " of job '" +
                                          r.spec.job_id + "' is not open");
  open->ended_at = a.ended_at != 0 ? a.ended_at : now;
  open->exit_code = a.exit_code;
  open->verdict = a.verdict;
  open->reason = a.reason;
  open->output_tail = tail(a.output_tail);
  r.status = status;
  r.reason = reason;
  r.updated_at = now;
  if (is_final(status)) append_event(*store_, r, now);
  return {};
}

Result<void> MemoryTable::finish(std::string_view job_id, Status status, const std::string& reason,
                                 Millis now) {
  if (!is_final(status))
    return fail(ErrorCode::kInvalid,
                "finish needs a final status, not " + std::string(to_string(status)));
  std::lock_guard lock(store_->mu);
  auto job = find_open(job_id);
  if (!job) return std::unexpected(job.error());
  close_open_attempts(**job, now);
  (*job)->status = status;
  (*job)->reason = reason;
  (*job)->updated_at = now;
  append_event(*store_, **job, now);
  return {};
}

Result<Status> MemoryTable::cancel(std::string_view job_id, Millis now) {
  std::lock_guard lock(store_->mu);
  auto job = find_open(job_id);
  if (!job) return std::unexpected(job.error());
  JobRecord& r = **job;
  if (r.status == Status::kRunning) {
    r.cancel_requested = true;
  } else {
    r.status = Status::kCancelled;
    r.reason = "cancelled by user";
    append_event(*store_, r, now);
  }
  r.updated_at = now;
  return r.status;
}

}  // namespace tandem::memory
