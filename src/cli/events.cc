// tandem events | workers | interrupt: the finished and failed streams, and the worker
// registry.
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/cli.h"

namespace tandem::cli {

namespace {

constexpr std::size_t kBatch = 500;
constexpr Millis kFollowWaitMs = 500;           // how long --follow waits before looking at signals
constexpr Millis kRecentMs = 24 * 3600 * 1000;  // `workers --all`: stopped in the last 24 h
constexpr double kDefaultGraceSeconds = 120;    // like a Spot interruption notice

volatile sig_atomic_t g_stop = 0;

extern "C" void on_events_stop(int) { g_stop = 1; }

// SIGINT and SIGTERM end `events --follow` after the batch it is printing.
void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_events_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

// null for 0, else the ISO time.
nlohmann::json time_or_null(Millis t) {
  return t != 0 ? nlohmann::json(format_time(t)) : nlohmann::json();
}

nlohmann::json event_json(const JobEvent& e) {
  return {{"seq", e.seq},           {"stream", to_string(e.stream)},
          {"job_id", e.job_id},     {"status", to_string(e.status)},
          {"reason", e.reason},     {"attempts", e.attempts},
          {"at", format_time(e.at)}};
}

void print_events(const std::vector<JobEvent>& events, bool json) {
  for (const auto& e : events) {
    if (json) {
      std::cout << dump(event_json(e), -1) << "\n";
      continue;
    }
    std::printf("%s  #%-6lld  %-8s  %-9s  %s  attempts %d  %s\n", format_time(e.at).c_str(),
                static_cast<long long>(e.seq), std::string(to_string(e.stream)).c_str(),
                std::string(to_string(e.status)).c_str(), e.job_id.c_str(), e.attempts,
                e.reason.c_str());
  }
  std::fflush(stdout);
  std::cout.flush();
}

struct EventsArgs {
  bool follow = false;
  bool json = false;
  bool from_start = false;
  std::string stream;
  std::string consumer;
};

struct WorkersArgs {
  bool json = false;
  bool all = false;
  std::string worker;  // interrupt's WORKER_ID
  double grace = kDefaultGraceSeconds;
};

// Where to start: after the consumer's committed offset, or from the first event.
Result<std::int64_t> start_after(Backend& b, const EventsArgs& a) {
  if (a.consumer.empty() || a.from_start) return 0;
  return b.events().offset(a.consumer);
}

int run_events(const Globals& g, const EventsArgs& a) {
  std::optional<Stream> stream;
  if (!a.stream.empty() && !(stream = parse_stream(a.stream)))
    return report("unknown stream '" + a.stream + "'; use finished or failed", kExitUsage);
  auto b = open_or_report(g);
  if (!b) return kExitFailed;
  auto after = start_after(*b, a);
  if (!after) return report(after.error());
  if (a.follow) install_stop_handlers();
  while (g_stop == 0) {
    auto batch = b->events().read(*after, stream, kBatch, a.follow ? kFollowWaitMs : 0);
    if (!batch) {
      if (!a.follow || !batch.error().retryable()) return report(batch.error());
      report(batch.error().to_string() + "; trying again");
      continue;
    }
    if (batch->empty()) {
      if (!a.follow) return kExitOk;
      continue;
    }
    print_events(*batch, a.json);
    *after = batch->back().seq;
    if (a.consumer.empty()) continue;
    if (auto committed = b->events().commit(a.consumer, *after); !committed)
      return report(committed.error());
  }
  return kExitOk;
}

nlohmann::json worker_json(const WorkerRecord& w) {
  return {{"id", w.id},
          {"tier", w.tier},
          {"state", to_string(w.state)},
          {"job_id", w.job_id},
          {"host", w.host},
          {"pid", w.pid},
          {"started_at", format_time(w.started_at)},
          {"last_seen", format_time(w.last_seen)},
          {"stopped_at", time_or_null(w.stopped_at)},
          {"interrupt_at", time_or_null(w.interrupt_at)},
          {"interrupt_grace_seconds", static_cast<double>(w.interrupt_grace_ms) / 1000.0}};
}

void print_workers(const std::vector<WorkerRecord>& workers) {
  std::printf("%-24s  %-10s  %-9s  %-20s  %-16s  %7s  %-24s  %s\n", "ID", "TIER", "STATE", "JOB",
              "HOST", "PID", "STARTED", "LAST_SEEN");
  for (const auto& w : workers) {
    std::string state(to_string(w.state));
    if (w.interrupt_at != 0 && w.stopped_at == 0) state += " (interrupted)";
    std::printf("%-24s  %-10s  %-9s  %-20s  %-16s  %7d  %-24s  %s\n", w.id.c_str(),
                w.tier.empty() ? "-" : w.tier.c_str(), state.c_str(),
                w.job_id.empty() ? "-" : w.job_id.c_str(), w.host.c_str(), w.pid,
                format_time(w.started_at).c_str(), format_time(w.last_seen).c_str());
  }
}

int run_workers(const Globals& g, bool json, bool all) {
  auto b = open_or_report(g);
  if (!b) return kExitFailed;
  auto listed = b->workers().list(all, 0);
  if (!listed) return report(listed.error());
  Millis recent = now_millis() - kRecentMs;
  std::vector<WorkerRecord> shown;
  for (auto& w : *listed)
    if (w.stopped_at == 0 || w.stopped_at >= recent) shown.push_back(std::move(w));
  if (json) {
    auto arr = nlohmann::json::array();
    for (const auto& w : shown) arr.push_back(worker_json(w));
    std::cout << dump(arr) << "\n";
  } else if (shown.empty()) {
    std::cout << (all ? "no workers in the last 24 h\n" : "no live workers\n");
  } else {
    print_workers(shown);
  }
  return kExitOk;
}

int run_interrupt(const Globals& g, const std::string& id, double grace_seconds) {
  if (!(grace_seconds >= 0) || grace_seconds > 1e9)
    return report("--grace must be a number of seconds, at least 0", kExitUsage);
  auto b = open_or_report(g);
  if (!b) return kExitFailed;
  auto grace_ms = static_cast<Millis>(std::llround(grace_seconds * 1000));
  auto sent = b->workers().interrupt(id, grace_ms, now_millis());
  if (!sent && sent.error().code == ErrorCode::kNotFound)
    return report(sent.error().to_string() + " (`tandem workers` lists the live ones)");
  if (!sent) return report(sent.error());
  std::cout << "interruption notice sent to worker '" << id
            << "': it returns its job to the queue and stops within " << grace_seconds << "s\n";
  return kExitOk;
}

}  // namespace

void add_events(CLI::App& app, Globals& g) {
  auto a = std::make_shared<EventsArgs>();
  auto* events = app.add_subcommand(
      "events",
      "Print the finished and failed events: one per job that reached a final status "
      "(SUCCEEDED on 'finished'; FAILED or CANCELLED on 'failed'), oldest first.");
  events->add_flag("-f,--follow", a->follow, "keep waiting for new events until SIGINT/SIGTERM");
  events->add_flag("--json", a->json, "one JSON object a line");
  events->add_option("--stream", a->stream, "only this stream: finished or failed");
  events->add_option("--consumer", a->consumer,
                     "start after what this consumer has handled, and record each printed "
                     "batch as handled (without it: every event from the start)");
  events->add_flag("--from-start", a->from_start,
                   "with --consumer: print from the first event, not from its offset");
  events->footer(
      "Example:\n  tandem events --json --stream failed\n"
      "  tandem events --follow --consumer notifier --json");
  events->callback([&g, a] { g.exit_code = run_events(g, *a); });

  auto w = std::make_shared<WorkersArgs>();
  auto* workers = app.add_subcommand(
      "workers", "List the live workers: id, tier, state, job, host, pid, started, last seen.");
  workers->add_flag("--json", w->json, "print JSON");
  workers->add_flag("--all", w->all, "also the workers stopped in the last 24 h");
  workers->footer("Example:\n  tandem workers --all");
  workers->callback([&g, w] { g.exit_code = run_workers(g, w->json, w->all); });

  auto* interrupt = app.add_subcommand(
      "interrupt",
      "Send a worker an interruption notice (as a Spot reclaim would): it returns its job "
      "to the queue at once and stops within the grace period.");
  interrupt->add_option("WORKER_ID", w->worker, "the worker (see `tandem workers`)")->required();
  interrupt->add_option("--grace", w->grace, "seconds it has to stop")->capture_default_str();
  interrupt->footer("Example:\n  tandem interrupt spot-worker-3 --grace 30");
  interrupt->callback([&g, w] { g.exit_code = run_interrupt(g, w->worker, w->grace); });
}

}  // namespace tandem::cli
