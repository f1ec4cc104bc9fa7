#include "cli/agent_args.h"

#include <signal.h>

namespace tandem::cli {

namespace {

agent::ShutdownLevel g_level{0};

extern "C" void on_stop_signal(int sig) {
  if (sig == SIGUSR1) {
    int level = g_level.load(std::memory_order_relaxed);
    while (level < 2 && !g_level.compare_exchange_weak(level, 2)) {
    }
    return;
  }
  g_level.fetch_add(1, std::memory_order_relaxed);
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

}  // namespace

agent::ShutdownLevel& stop_level() { return g_level; }

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
}

std::string check_options(const AgentArgs& a) {
  if (a.slots < 1) return "--slots must be at least 1";
  if (a.lease < 1) return "--lease must be at least 1 second";
  if (a.max_lost < 1) return "--max-lost must be at least 1";
  if (a.backoff < 0) return "--backoff must not be negative";
  if (a.kill_grace < 0) return "--kill-grace must not be negative";
  if (a.idle_exit < 0) return "--idle-exit must not be negative";
  return {};
}

void add_agent_options(CLI::App* cmd, AgentArgs& a) {
  cmd->add_option("--queue", a.queue, "queue to take jobs from")->capture_default_str();
  cmd->add_option("--slots", a.slots, "jobs to run at once")->capture_default_str();
  cmd->add_option("--lease", a.lease,
                  "seconds a job stays leased without renewal; renewed every third of it")
      ->capture_default_str();
  cmd->add_option("--backoff", a.backoff,
                  "seconds before the first retry of a failed job; doubles each retry, at most 60")
      ->capture_default_str();
  cmd->add_option("--max-lost", a.max_lost,
                  "attempts a job may lose with vanished workers before it fails (not charged "
                  "to its retry)")
      ->capture_default_str();
  cmd->add_option("--kill-grace", a.kill_grace,
                  "seconds between SIGTERM and SIGKILL when a job is stopped (timeout, cancel)")
      ->capture_default_str();
  cmd->add_option("--state-dir", a.state_dir,
                  "where logs and working directories go (default: beside the database)");
  cmd->add_flag("--keep-workdirs", a.keep_workdirs, "keep each attempt's working directory");
}

std::vector<std::string> agent_command_args(const AgentArgs& a) {
  std::vector<std::string> args = {"--queue",      a.queue,
                                   "--slots",      std::to_string(a.slots),
                                   "--lease",      number(a.lease),
                                   "--backoff",    number(a.backoff),
                                   "--max-lost",   std::to_string(a.max_lost),
                                   "--kill-grace", number(a.kill_grace),
                                   "--idle-exit",  number(a.idle_exit)};
  if (!a.state_dir.empty()) args.insert(args.end(), {"--state-dir", a.state_dir});
  if (a.keep_workdirs) args.push_back("--keep-workdirs");
  return args;
}

}  // namespace tandem::cli
