// tandem status | jobs | logs | queue | cancel: reading the job table and the queue.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <thread>

#include "cli/cli.h"

namespace tandem::cli {

namespace {

std::string duration_text(Millis ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", static_cast<double>(ms) / 1000.0);
  return buf;
}

std::string one_line(std::string s, std::size_t max = 120) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

Result<JobRecord> load(Backend& b, const std::string& id) {
  auto job = b.table().get(id);
  if (!job) return std::unexpected(job.error());
  if (!*job) return fail(ErrorCode::kNotFound, "no job with job_id '" + id + "'");
  return std::move(**job);
}

void print_status(const JobRecord& r) {
  std::cout << "job_id:     " << r.spec.job_id << "\n"
            << "status:     " << to_string(r.status)
            << (r.cancel_requested && !is_final(r.status) ? " (cancel requested)" : "") << "\n";
  if (!r.reason.empty()) std::cout << "reason:     " << r.reason << "\n";
  std::cout << "retry:      " << r.spec.retry << "\n"
            << "success:    \"" << r.spec.success_string << "\""
            << (r.spec.checks_output() ? "" : " (blank: the exit code alone decides)") << "\n"
            << "document:   " << r.spec.ssm_document << "\n";
  if (r.spec.timeout_seconds) std::cout << "timeout:    " << *r.spec.timeout_seconds << "s\n";
  for (std::size_t i = 0; i < r.spec.commands.size(); ++i)
    std::cout << (i == 0 ? "commands:   " : "            ") << one_line(r.spec.commands[i], 200)
              << "\n";
  std::cout << "submitted:  " << format_time(r.submitted_at) << "\n"
            << "attempts:   " << r.attempts.size() << "\n";
  for (const auto& a : r.attempts) {
    std::cout << "  #" << a.number << " " << to_string(a.verdict) << " on " << a.worker << " at "
              << format_time(a.started_at);
    if (a.ended_at) std::cout << " for " << duration_text(a.ended_at - a.started_at);
    if (a.exit_code) std::cout << ", exit code " << *a.exit_code;
    std::cout << "\n";
    if (!a.reason.empty()) std::cout << "     " << one_line(a.reason, 200) << "\n";
  }
  if (!r.attempts.empty() && !r.attempts.back().output_tail.empty()) {
    std::cout << "output (end) of attempt " << r.attempts.back().number << ":\n";
    std::cout << r.attempts.back().output_tail;
    if (r.attempts.back().output_tail.back() != '\n') std::cout << "\n";
  }
}

int run_status(const Globals& g, const std::string& id, bool json) {
  auto b = open_or_report(g);
  if (!b) return kExitFailed;
  auto r = load(*b, id);
  if (!r) return report(r.error());
  if (json)
    std::cout << dump(record_json(*r)) << "\n";
  else
    print_status(*r);
  return kExitOk;
}

int run_jobs(const Globals& g, const std::string& status_text, bool json, std::size_t limit) {
  std::optional<Status> status;
  if (!status_text.empty()) {
    status = parse_status(status_text);
    if (!status)
      return report("unknown status '" + status_text +
                        "'; use PENDING, RUNNING, SUCCEEDED, FAILED or CANCELLED",
                    kExitUsage);
  }
  auto b = open_or_report(g);
  if (!b) return kExitFailed;
  auto jobs = b->table().list(status, limit == 0 ? SIZE_MAX : limit);
  if (!jobs) return report(jobs.error());
  if (json) {
    auto arr = nlohmann::json::array();
    for (const auto& j : *jobs)
      arr.push_back({{"job_id", j.job_id},
                     {"status", to_string(j.status)},
                     {"attempts", j.attempts},
                     {"updated_at", format_time(j.updated_at)},
                     {"reason", j.reason}});
    std::cout << dump(arr) << "\n";
    return kExitOk;
  }
  std::size_t width = 6;
  for (const auto& j : *jobs) width = std::max(width, std::min<std::size_t>(j.job_id.size(), 40));
  std::printf("%-*s  %-9s  %8s  %-24s  %s\n", static_cast<int>(width), "JOB_ID", "STATUS",
              "ATTEMPTS", "UPDATED", "REASON");
  for (const auto& j : *jobs)
    std::printf("%-*s  %-9s  %8d  %-24s  %s\n", static_cast<int>(width),
                one_line(j.job_id, 40).c_str(), std::string(to_string(j.status)).c_str(),
                j.attempts, format_time(j.updated_at).c_str(), one_line(j.reason, 100).c_str());
  return kExitOk;
}

// Copies what the file has past `offset` to stdout; returns the new offset.
std::streamoff copy_from(const std::string& path, std::streamoff offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return offset;
  in.seekg(offset);
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    std::cout.write(buf, in.gcount());
    offset += in.gcount();
  }
  std::cout.flush();
  return offset;
}

int run_logs(const Globals& g, const std::string& id, int number, bool follow) {
  auto b = open_or_report(g);
  if (!b) return kExitFailed;
  auto r = load(*b, id);
  if (!r) return report(r.error());
  if (r->attempts.empty()) return report("job '" + id + "' has no attempt yet", kExitFailed);
  if (number == 0) number = r->attempts.back().number;
  if (number < 1 || number > static_cast<int>(r->attempts.size()))
    return report("job '" + id + "' has no attempt " + std::to_string(number) + " (it has " +
                      std::to_string(r->attempts.size()) + ")",
                  kExitUsage);
  const Attempt* a = &r->attempts[static_cast<std::size_t>(number - 1)];
  const std::string log = a->log;
  // A short, quiet attempt writes no log file: its whole output is the tail in the table.
  // A running attempt's file appears after its first second.
  while (follow && a->verdict == Verdict::kRunning && access(log.c_str(), R_OK) != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    r = load(*b, id);
    if (!r) return report(r.error());
    a = &r->attempts[static_cast<std::size_t>(number - 1)];
  }
  if (access(log.c_str(), R_OK) != 0) {
    const bool whole =
        a->output_tail.size() < kOutputTailBytes && a->ended_at - a->started_at < 1000;
    if (a->verdict == Verdict::kRunning)
      std::cerr << "tandem: attempt " << number << " is running; its log appears here after "
                << "its first second (or on the worker that runs it)\n";
    else if (!whole)
      std::cerr << "tandem: the full log (" << log << ") is not on this machine; the last "
                << a->output_tail.size() << " bytes, from the job table, follow\n";
    std::cout << a->output_tail;
    return kExitOk;
  }
  std::streamoff offset = copy_from(log, 0);
  while (follow && a->verdict == Verdict::kRunning) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    offset = copy_from(log, offset);
    r = load(*b, id);
    if (!r) return report(r.error());
    a = &r->attempts[static_cast<std::size_t>(number - 1)];
  }
  copy_from(log, offset);
  return kExitOk;
}

int run_queue(const Globals& g, const std::string& name, bool json) {
  auto b = open_or_report(g);
  if (!b) return kExitFailed;
  auto q = b->queue(name);
  if (!q) return report(q.error());
  auto stats = (*q)->stats();
  if (!stats) return report(stats.error());
  auto counts = b->table().counts();
  if (!counts) return report(counts.error());
  if (json) {
    nlohmann::json j;
    j["queue"] = name;
    j["depth"] = stats->visible;
    j["in_flight"] = stats->in_flight;
    j["delayed"] = stats->delayed;
    j["dead_letters"] = stats->dead;
    for (Status s : {Status::kPending, Status::kRunning, Status::kSucceeded, Status::kFailed,
                     Status::kCancelled})
      j["jobs"][std::string(to_string(s))] = counts->get(s);
    j["jobs"]["TOTAL"] = counts->total();
    std::cout << dump(j) << "\n";
    return kExitOk;
  }
  std::cout << "queue '" << name << "': depth " << stats->visible << ", in flight "
            << stats->in_flight << ", delayed " << stats->delayed << ", dead letters "
            << stats->dead << "\n"
            << "jobs: pending " << counts->get(Status::kPending) << ", running "
            << counts->get(Status::kRunning) << ", succeeded " << counts->get(Status::kSucceeded)
            << ", failed " << counts->get(Status::kFailed) << ", cancelled "
            << counts->get(Status::kCancelled) << " (" << counts->total() << " in all)\n";
  return kExitOk;
}

int run_cancel(const Globals& g, const std::string& id) {
  auto b = open_or_report(g);
  if (!b) return kExitFailed;
  auto status = b->table().cancel(id, now_millis());
  if (!status) return report(status.error());
  if (*status == Status::kCancelled)
    std::cout << "job '" << id << "' cancelled\n";
  else
    std::cout << "job '" << id << "' is running: its agent is asked to stop it\n";
  return kExitOk;
}

}  // namespace

void add_inspect(CLI::App& app, Globals& g) {
  struct Args {
    std::string id, status, queue = std::string(kDefaultQueue);
    bool json = false, follow = false;
    int attempt = 0;
    std::size_t limit = 0;
  };
  auto a = std::make_shared<Args>();

  auto* status = app.add_subcommand("status",
                                    "Show a job: its status, commands, retry and "
                                    "every attempt (worker, times, exit code, verdict, "
                                    "reason, end of output).");
  status->add_option("JOB_ID", a->id, "the job")->required();
  status->add_flag("--json", a->json, "print JSON");
  status->footer("Example:\n  tandem status jobId_0 --json");
  status->callback([&g, a] { g.exit_code = run_status(g, a->id, a->json); });

  auto* jobs = app.add_subcommand("jobs", "List jobs in submission order.");
  jobs->add_option("--status", a->status, "only jobs of this status");
  jobs->add_option("--limit", a->limit, "at most this many (0: all)");
  jobs->add_flag("--json", a->json, "print JSON");
  jobs->footer("Example:\n  tandem jobs --status FAILED");
  jobs->callback([&g, a] { g.exit_code = run_jobs(g, a->status, a->json, a->limit); });

  auto* logs = app.add_subcommand("logs", "Print the full output of a job's attempt.");
  logs->add_option("JOB_ID", a->id, "the job")->required();
  logs->add_option("--attempt", a->attempt, "attempt number (default: the last)");
  logs->add_flag("-f,--follow", a->follow, "keep printing while the attempt runs");
  logs->footer("Example:\n  tandem logs jobId_0 --attempt 2\n  tandem logs jobId_0 --follow");
  logs->callback([&g, a] { g.exit_code = run_logs(g, a->id, a->attempt, a->follow); });

  auto* queue = app.add_subcommand("queue",
                                   "Show a queue's depth, messages in flight and "
                                   "the count of jobs per status.");
  queue->add_option("--queue", a->queue, "queue name")->capture_default_str();
  queue->add_flag("--json", a->json, "print JSON");
  queue->footer("Example:\n  tandem queue --json");
  queue->callback([&g, a] { g.exit_code = run_queue(g, a->queue, a->json); });

  auto* cancel = app.add_subcommand("cancel",
                                    "Cancel a pending job, or stop a running one "
                                    "(its whole process tree).");
  cancel->add_option("JOB_ID", a->id, "the job")->required();
  cancel->footer("Example:\n  tandem cancel jobId_0");
  cancel->callback([&g, a] { g.exit_code = run_cancel(g, a->id); });
}

}  // namespace tandem::cli
