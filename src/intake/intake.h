// Intake: turns files landing in the object store into jobs (the post's Part 2). Users
// upload a job's input files into a folder of the store, then its executable, whose name
// ends in the trigger suffix, LAST. Each such executable becomes one job:
//
// - job_id = the executable's key (so a key is submitted at most once, ever);
// - env = {TANDEM_STORE, TANDEM_KEY, TANDEM_SUFFIX}: the key travels only as data;
// - commands = one fixed string that runs `tandem stage-run` (TANDEM_BIN is set by the
//   agent), which downloads the folder, runs the executable and uploads what it made.
//   No key or file name ever appears inside a command.
//
// Keys that cannot be run (invalid, or at the store's root) are recorded as FAILED jobs
// with the reason, never queued, so that `tandem status` shows why.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "common/error.h"
#include "job/job.h"
#include "store/store.h"

namespace tandem {

struct IntakeOptions {
  std::string store_url;       // passed to the jobs as TANDEM_STORE: must work on every worker
  std::string prefix;          // only keys starting with it are looked at ("" = all)
  std::string suffix = ".sh";  // the trigger: keys ending in it are executables
  std::string queue = "default";
  int retry = 0;
  std::string success_string;
  std::optional<double> timeout;  // seconds
};

// The environment variables a staged job reads (set by intake, read by stage-run).
inline constexpr const char* kEnvStore = "TANDEM_STORE";
inline constexpr const char* kEnvKey = "TANDEM_KEY";
inline constexpr const char* kEnvSuffix = "TANDEM_SUFFIX";
// Set by the agent in every job's environment: the path of its own `tandem` binary.
inline constexpr const char* kEnvBin = "TANDEM_BIN";

// The fixed commands of every staged job (they name no key and no file).
inline constexpr std::string_view kStageRunShell =
    "exec \"${TANDEM_BIN:?is not set: this agent cannot run staged jobs}\" stage-run";
inline constexpr std::string_view kStageRunPowerShell =
    "& $env:TANDEM_BIN stage-run; exit $LASTEXITCODE";
// The command of a refused key's record (never queued; valid for sh and PowerShell).
inline constexpr std::string_view kRefusedCommand =
    "exit 125  # refused by tandem intake, never run: see the job's reason";

// True if the executable `key` runs with PowerShell: its name ends in ".ps1" (any case).
bool is_powershell_key(std::string_view key);

// The job for the executable `key`: a pure function of the key and the options, so that
// submitting it again is a no-op. kInvalid, with the reason, if the key cannot be a job:
// it fails check_key, has no folder (it lies at the store's root) or is no valid job_id.
Result<JobSpec> job_for_key(std::string_view key, const IntakeOptions& options);

// A key that was not made into a runnable job.
struct Refusal {
  std::string key;
  std::string job_id;  // where the refusal is recorded; empty if it could not be recorded
  std::string reason;
};

// What one scan did with the keys it had not handled before (in key order).
struct ScanReport {
  std::vector<std::string> submitted;  // job_ids added and queued now
  std::vector<std::string> skipped;    // keys whose job already existed (identical)
  std::vector<Refusal> refused;
};

// Not thread-safe; uses the Store and the Backend it is given (they must outlive it).
class Intake {
 public:
  Intake(Store& store, Backend& backend, IntakeOptions options);

  // One pass: lists the prefix and makes a job of every executable not handled yet by
  // this object (a new Intake re-checks every key; the backend's idempotent submit makes
  // that harmless). Refused keys are recorded as FAILED jobs. Fails, leaving every key of
  // this pass to the next one, if the store cannot be listed or the backend written
  // (kUnavailable, kInternal); a job_id taken by another job is a refusal, not an error.
  Result<ScanReport> scan();

 private:
  Result<void> submit_runnable(const std::vector<JobSpec>& specs, ScanReport& report);
  Result<void> submit_one_by_one(const std::vector<JobSpec>& specs, ScanReport& report);
  Result<void> record_refusal(std::string_view key, const std::string& reason, ScanReport& report);

  Store& store_;
  Backend& backend_;
  IntakeOptions options_;
  std::set<std::string, std::less<>> handled_;  // keys a successful scan has dealt with
};

}  // namespace tandem
