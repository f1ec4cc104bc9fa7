// A backend: the engine behind the queue and the job table, chosen by URL scheme.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "backend/events.h"
#include "backend/job_table.h"
#include "backend/queue.h"
#include "backend/workers.h"

namespace tandem {

inline constexpr std::string_view kDefaultQueue = "default";
// The embedded default, relative to the current directory.
inline constexpr std::string_view kDefaultBackendUrl = "sqlite://.tandem/tandem.db";

// Not thread-safe: open one Backend per thread.
class Backend {
 public:
  virtual ~Backend() = default;

  // The queue of that name (created on first use). Valid as long as the Backend.
  virtual Result<Queue*> queue(std::string_view name) = 0;
  virtual JobTable& table() = 0;
  virtual EventLog& events() = 0;
  virtual WorkerRegistry& workers() = 0;

  // Records the jobs and enqueues the new ones on queue `queue_name`, so that no
  // accepted job is ever left without its message. All or nothing. kConflict if a
  // job_id exists with other content.
  virtual Result<PutResult> submit(std::span<const JobSpec> jobs, std::string_view queue_name);

  // Where this backend keeps local files (logs, working directories) by default.
  virtual std::string state_dir() const = 0;

  // The URL with any password replaced by "***", for logs and errors.
  virtual std::string redacted_url() const = 0;
};

// Opens a backend from a URL: "sqlite://PATH" or "memory://NAME". An unknown scheme is
// a kInvalid error that lists the known ones.
Result<std::unique_ptr<Backend>> open_backend(std::string_view url);

// The URL to use: `flag` if set, else $TANDEM_BACKEND, else kDefaultBackendUrl.
std::string backend_url(std::string_view flag);

}  // namespace tandem
