#include "intake/intake.h"

#include <algorithm>
#include <cctype>
#include <span>
#include <unordered_set>

#include "job/parse.h"

namespace tandem {

namespace {

constexpr std::string_view kShellDocument = "AWS-RunShellScript";
constexpr std::string_view kPowerShellDocument = "AWS-RunPowerShellScript";
// Jobs submitted in one call: bounds one transaction of the backend.
constexpr std::size_t kBatch = 500;

std::string document_for(std::string_view key) {
  return std::string(is_powershell_key(key) ? kPowerShellDocument : kShellDocument);
}

// The record of a refused key: it is never queued, never run (its command would only
// fail) and carries no part of the key beyond its job_id. A pure function of its arguments.
JobSpec refusal_spec(const std::string& job_id, std::string_view key) {
  JobSpec spec;
  spec.job_id = job_id;
  spec.ssm_document = document_for(key);
  spec.commands = {std::string(kRefusedCommand)};
  return spec;
}

// Where a refusal of `key` is recorded: the key itself when every backend can hold it as
// a job_id (no control character, valid UTF-8), else its printable form.
std::string refusal_job_id(std::string_view key) {
  const std::string id(key);
  if (check_job_id(id) && job_to_text(refusal_spec(id, key))) return id;
  return printable_key(key);
}

}  // namespace

bool is_powershell_key(std::string_view key) {
  constexpr std::string_view kPs1 = ".ps1";
  if (key.size() < kPs1.size()) return false;
  return std::equal(
      kPs1.begin(), kPs1.end(), key.end() - static_cast<long>(kPs1.size()),
      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

Result<JobSpec> job_for_key(std::string_view key, const IntakeOptions& options) {
  if (auto ok = check_key(key); !ok) return std::unexpected(ok.error());
  const auto slash = key.rfind('/');
  if (slash == std::string_view::npos)
    return fail(ErrorCode::kInvalid,
                "executable " + printable_key(key) +
                    " lies at the store's root, not in a job folder: upload it with its "
                    "input files into a folder of its own, e.g. jobs/job1/run.sh");
  if (auto ok = check_job_id(key); !ok) return std::unexpected(ok.error());
  JobSpec spec;
  spec.job_id = std::string(key);
  spec.retry = options.retry;
  spec.success_string = options.success_string;
  spec.ssm_document = document_for(key);
  spec.commands = {std::string(spec.powershell() ? kStageRunPowerShell : kStageRunShell)};
  spec.timeout_seconds = options.timeout;
  spec.env = {{kEnvStore, options.store_url}, {kEnvKey, spec.job_id}, {kEnvSuffix, options.suffix}};
  return spec;
}

Intake::Intake(Store& store, Backend& backend, IntakeOptions options)
    : store_(store), backend_(backend), options_(std::move(options)) {}

Result<ScanReport> Intake::scan() {
  auto objects = store_.list(options_.prefix);
  if (!objects) return std::unexpected(objects.error());
  ScanReport report;
  std::vector<std::string> keys;  // handled by this scan, once it succeeds
  std::vector<JobSpec> runnable;
  for (const auto& object : *objects) {
    if (!object.key.ends_with(options_.suffix) || handled_.contains(object.key)) continue;
    keys.push_back(object.key);
    auto spec = job_for_key(object.key, options_);
    if (spec) {
      runnable.push_back(std::move(*spec));
    } else if (auto recorded = record_refusal(object.key, spec.error().message, report);
               !recorded) {
      return std::unexpected(recorded.error());
    }
  }
  for (std::size_t i = 0; i < runnable.size(); i += kBatch) {
    const std::size_t n = std::min(kBatch, runnable.size() - i);
    std::vector<JobSpec> batch(runnable.begin() + static_cast<long>(i),
                               runnable.begin() + static_cast<long>(i + n));
    if (auto done = submit_runnable(batch, report); !done) return std::unexpected(done.error());
  }
  handled_.insert(keys.begin(), keys.end());
  return report;
}

// Submits `specs` at once; a kConflict (some job_id taken by another job) is sorted out
// one job at a time, so that the other jobs still go in.
Result<void> Intake::submit_runnable(const std::vector<JobSpec>& specs, ScanReport& report) {
  auto put = backend_.submit(specs, options_.queue);
  if (!put) {
    if (put.error().code == ErrorCode::kConflict) return submit_one_by_one(specs, report);
    return std::unexpected(put.error());
  }
  const std::unordered_set<std::string> added(put->added.begin(), put->added.end());
  for (const auto& spec : specs) {
    if (added.contains(spec.job_id))
      report.submitted.push_back(spec.job_id);
    else
      report.skipped.push_back(spec.job_id);
  }
  return {};
}

Result<void> Intake::submit_one_by_one(const std::vector<JobSpec>& specs, ScanReport& report) {
  for (const auto& spec : specs) {
    auto put = backend_.submit(std::span(&spec, 1), options_.queue);
    if (put) {
      (put->added.empty() ? report.skipped : report.submitted).push_back(spec.job_id);
    } else if (put.error().code == ErrorCode::kConflict) {
      report.refused.push_back(
          {spec.job_id, "",
           "a job with this job_id already exists with other content (submitted another "
           "way, or by an intake with other options); not submitted: " +
               put.error().message});
    } else {
      return std::unexpected(put.error());
    }
  }
  return {};
}

// Records `key` as a FAILED job with `reason` (put, then finish; nothing is queued). A
// repeat finds the job final already, which is fine.
Result<void> Intake::record_refusal(std::string_view key, const std::string& reason,
                                    ScanReport& report) {
  const std::string job_id = refusal_job_id(key);
  const std::string why = "refused by intake, never run: " + reason;
  const JobSpec spec = refusal_spec(job_id, key);
  auto put = backend_.table().put(std::span(&spec, 1), now_millis());
  if (!put) {
    if (put.error().retryable() || put.error().code == ErrorCode::kInternal)
      return std::unexpected(put.error());
    report.refused.push_back(
        {std::string(key), "", why + " (not recorded: " + put.error().message + ")"});
    return {};
  }
  auto finished = backend_.table().finish(job_id, Status::kFailed, why, now_millis());
  if (!finished && finished.error().code != ErrorCode::kConflict)
    return std::unexpected(finished.error());
  report.refused.push_back({std::string(key), job_id, why});
  return {};
}

}  // namespace tandem
