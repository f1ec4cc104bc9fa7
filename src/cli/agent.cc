// tandem agent: the per-worker scheduler.
#include <iostream>
#include <mutex>

#include "agent/driver.h"
#include "cli/agent_args.h"
#include "cli/cli.h"

namespace tandem::cli {

namespace {

Millis to_ms(double seconds) { return static_cast<Millis>(seconds * 1000.0); }

int run_agent_command(const Globals& g, const AgentArgs& a) {
  if (auto bad = check_options(a); !bad.empty()) return report(bad, kExitUsage);
  // The executor forks its guard process: do it before opening files or starting threads.
  auto executor = make_local_executor();
  install_stop_handlers();
  agent::AgentOptions o;
  o.queue = a.queue;
  o.slots = a.slots;
  o.lease_ms = to_ms(a.lease);
  o.state_dir = a.state_dir;
  o.keep_workdirs = a.keep_workdirs;
  o.worker = a.worker;
  o.tier = a.tier;
  o.policy.idle_exit_ms = to_ms(a.idle_exit);
  o.policy.backoff_base_ms = to_ms(a.backoff);
  o.policy.max_lost = a.max_lost;
  o.policy.kill_grace_ms = to_ms(a.kill_grace);
  const std::string url = backend_url(g.backend);
  std::mutex log_mutex;
  auto log = [&log_mutex](const std::string& line) {
    std::lock_guard lock(log_mutex);
    std::cerr << line << "\n";
  };
  auto connect = [&url] { return open_backend(url); };
  {
    auto probe = connect();  // a clear error now rather than one per slot
    if (!probe) return report("cannot open the backend: " + probe.error().to_string());
    log(format_time(now_millis()) + " agent on " + (*probe)->redacted_url() + ", queue '" +
        a.queue + "', " + std::to_string(a.slots) + " slot(s)" +
        (a.tier.empty() ? "" : ", tier '" + a.tier + "'"));
  }
  int code = agent::run_agent(o, connect, *executor, stop_level(), log);
  return code == 0 ? kExitOk : kExitFailed;
}

}  // namespace

void add_agent(CLI::App& app, Globals& g) {
  auto a = std::make_shared<AgentArgs>();
  auto* agent = app.add_subcommand(
      "agent",
      "Run this worker's scheduler: take jobs from the queue under a lease, run them, verify "
      "them, record every attempt, retry failures. SIGTERM: take no new job, finish the "
      "current one, exit; a second SIGTERM (or SIGUSR1, or an interruption notice from "
      "`tandem interrupt`) returns it to the queue at once.");
  add_agent_options(agent, *a);
  agent
      ->add_option("--idle-exit", a->idle_exit,
                   "stop once the queue stayed empty this many seconds (0: never)")
      ->capture_default_str();
  agent->add_option("--worker", a->worker, "this worker's name (default HOST:PID)");
  agent->add_option("--tier", a->tier, "its capacity tier, shown by `tandem workers`");
  agent->footer("Example:\n  tandem agent --slots 4 --idle-exit 60");
  agent->callback([&g, a] { g.exit_code = run_agent_command(g, *a); });
}

}  // namespace tandem::cli
