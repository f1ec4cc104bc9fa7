// tandem wait: until jobs are final; exit 0 only if all succeeded.
#include <unistd.h>

#include <iostream>
#include <thread>

#include "cli/cli.h"

namespace tandem::cli {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(200);

bool all_final(const StatusCounts& c) {
  return c.get(Status::kPending) == 0 && c.get(Status::kRunning) == 0;
}

void summary(const StatusCounts& c) {
  std::cerr << "jobs: succeeded " << c.get(Status::kSucceeded) << ", failed "
            << c.get(Status::kFailed) << ", cancelled " << c.get(Status::kCancelled) << " ("
            << c.total() << " in all)\n";
}

// The counts of the named jobs; a job that does not exist is an error.
Result<StatusCounts> counts_of(Backend& b, const std::vector<std::string>& ids) {
  StatusCounts c;
  for (const auto& id : ids) {
    auto job = b.table().get(id);
    if (!job) return std::unexpected(job.error());
    if (!*job) return fail(ErrorCode::kNotFound, "no job with job_id '" + id + "'");
    ++c.by_status[(*job)->status];
  }
  return c;
}

int run_wait(const Globals& g, const std::vector<std::string>& ids) {
  auto b = open_or_report(g);
  if (!b) return kExitFailed;
  StatusCounts final_counts;
  if (ids.empty()) {
    auto c = wait_all(*b, {});
    if (!c) return kExitFailed;
    final_counts = *c;
  } else {
    while (true) {
      auto c = counts_of(*b, ids);
      if (!c) return report(c.error());
      if (all_final(*c)) {
        final_counts = *c;
        break;
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }
  summary(final_counts);
  return final_counts.get(Status::kSucceeded) == final_counts.total() ? kExitOk : kExitFailed;
}

}  // namespace

// True once the queue holds no message at all.
Result<bool> queue_empty(Backend& backend, const std::string& name) {
  auto queue = backend.queue(name);
  if (!queue) return std::unexpected(queue.error());
  auto stats = (*queue)->stats();
  if (!stats) return std::unexpected(stats.error());
  return stats->visible + stats->in_flight + stats->delayed == 0;
}

std::optional<StatusCounts> wait_all(Backend& backend, const WaitOptions& options) {
  const bool tty = options.progress && isatty(STDERR_FILENO);
  const Millis start = steady_millis();
  long done_at_start = -1;
  bool drew = false;
  while (true) {
    auto c = backend.table().counts();
    if (!c) {
      report(c.error());
      return std::nullopt;
    }
    long done = c->total() - c->get(Status::kPending) - c->get(Status::kRunning);
    if (done_at_start < 0) done_at_start = done;
    if (tty) {
      // The rate counts only the jobs that ended while we watched.
      double secs = static_cast<double>(steady_millis() - start) / 1000.0;
      double rate = secs > 0.5 ? static_cast<double>(done - done_at_start) / secs : 0.0;
      std::cerr << "\r" << progress_line(*c, rate) << "\033[K" << std::flush;
      drew = true;
    }
    Result<bool> finished = all_final(*c);
    if (options.queue) finished = queue_empty(backend, *options.queue);
    if (!finished) {
      report(finished.error());
      return std::nullopt;
    }
    if (*finished) {
      if (drew) std::cerr << "\n";
      return *c;
    }
    if (options.keep_going && !options.keep_going()) {
      if (drew) std::cerr << "\n";
      return std::nullopt;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

void add_wait(CLI::App& app, Globals& g) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand(
      "wait",
      "Wait until the given jobs (or, with none, every job) are SUCCEEDED, FAILED or "
      "CANCELLED; a progress bar on a terminal. Exit 0 only if all succeeded.");
  cmd->add_option("JOB_ID", *ids, "jobs to wait for (default: every job)");
  cmd->footer("Example:\n  tandem submit jobs.json && tandem wait && echo all good");
  cmd->callback([&g, ids] { g.exit_code = run_wait(g, *ids); });
}

}  // namespace tandem::cli
