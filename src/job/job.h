// The job model: what a job is, its status, and the record of its attempts.
// Depends on nothing else of tandem but common/.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace tandem {

// A job as submitted. The post's message format plus optional extensions.
struct JobSpec {
  std::string job_id;
  int retry = 0;                   // retries after the first attempt: retry+1 attempts in all
  std::string success_string;      // "job_success_string"; blank: the exit code alone decides
  std::string ssm_document = "AWS-RunShellScript";
  std::vector<std::string> commands;
  std::optional<double> timeout_seconds;    // "timeout": kill the process tree after this long
  std::map<std::string, std::string> env;   // "env": added to the job's environment

  bool powershell() const { return ssm_document == "AWS-RunPowerShellScript"; }
  // The commands joined as one script, one command a line.
  std::string script() const;
  // Blank means only whitespace: " " is the post's way to disable the check.
  bool checks_output() const;

  bool operator==(const JobSpec&) const = default;
};

enum class Status { kPending, kRunning, kSucceeded, kFailed, kCancelled };

std::string_view to_string(Status s);
std::optional<Status> parse_status(std::string_view text);  // case-insensitive
inline bool is_final(Status s) {
  return s == Status::kSucceeded || s == Status::kFailed || s == Status::kCancelled;
}

// How one attempt ended.
enum class Verdict {
  kRunning,      // not ended yet
  kSucceeded,    // exit code 0 and the success string seen (when not blank)
  kFailed,       // the job's own failure: exit code, missing success string, cannot start
  kTimedOut,     // killed at the job's timeout
  kCancelled,    // killed by `tandem cancel`
  kLost,         // its agent vanished (lease expired) or lost the lease
  kInterrupted,  // returned to the queue by its agent (shutdown, interruption notice)
};

std::string_view to_string(Verdict v);
std::optional<Verdict> parse_verdict(std::string_view text);
// Charged attempts use up the job's `retry`; lost and interrupted ones have limits of their own.
inline bool is_charged(Verdict v) {
  return v == Verdict::kSucceeded || v == Verdict::kFailed || v == Verdict::kTimedOut;
}

inline constexpr std::size_t kOutputTailBytes = 64 * 1024;

struct Attempt {
  int number = 0;  // 1-based, in start order
  std::string worker;
  Millis started_at = 0;
  Millis ended_at = 0;  // 0 while running
  std::optional<int> exit_code;
  Verdict verdict = Verdict::kRunning;
  std::string reason;
  std::string output_tail;  // the last kOutputTailBytes of output
  std::string log;          // where the full log is (a path on the worker)
};

struct JobRecord {
  JobSpec spec;
  Status status = Status::kPending;
  bool cancel_requested = false;
  std::string reason;  // why it ended, for a final status
  Millis submitted_at = 0;
  Millis updated_at = 0;
  std::vector<Attempt> attempts;

  int charged_attempts() const;
  int count(Verdict v) const;
};

// One line of `tandem jobs`.
struct JobSummary {
  std::string job_id;
  Status status = Status::kPending;
  int attempts = 0;
  Millis updated_at = 0;
  std::string reason;
};

struct StatusCounts {
  std::map<Status, long> by_status;
  long total() const;
  long get(Status s) const;
};

}  // namespace tandem
