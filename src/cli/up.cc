// tandem up: local workers, started and stopped for you. With --workers N: N agents until
// their queue is empty. Without: the autoscaler starts agents as work arrives (from zero),
// they leave once the queue stayed empty, and `up` keeps running until stopped.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "autoscaler/controller.h"
#include "autoscaler/cost.h"
#include "cli/agent_args.h"
#include "cli/cli.h"
#include "intake/intake.h"
#include "provisioner/local_provisioner.h"
#include "store/store.h"

namespace tandem::cli {

namespace {

constexpr auto kTick = std::chrono::milliseconds(500);
constexpr std::string_view kFixedTier = "local";

struct UpArgs {
  AgentArgs agent;
  int workers = -1;      // fixed mode when given (then at least 1)
  int max_workers = 0;   // autoscaled mode: the local tier's max (default: cores)
  double price = 0;      // per worker-hour of the local tier
  IntakeOptions intake;  // with a store_url: files landing there become jobs
};

void log_line(const std::string& line) {
  std::cerr << format_time(now_millis()) << " " << line << "\n";
}

// Stops the workers: SIGTERM lets each finish its job; a second signal to `up` returns
// the jobs at once. Waits for all of them.
void stop_workers(Provisioner& provisioner) {
  int told = std::max(1, stop_level().load());
  provisioner.stop_all(told >= 2);
  while (!provisioner.wait_all(200)) {
    if (stop_level().load() > told) {
      told = stop_level().load();
      provisioner.stop_all(true);
    }
  }
}

void report_cost(Backend& backend, const std::string& prefix,
                 const std::vector<autoscaler::Tier>& tiers, Millis since) {
  auto workers = backend.workers().list(true, since);
  if (!workers) {
    report("cannot read the worker registry for the cost report: " + workers.error().to_string());
    return;
  }
  std::erase_if(*workers, [&](const WorkerRecord& w) { return w.id.rfind(prefix, 0) != 0; });
  std::cerr << "cost: "
            << autoscaler::cost_report(autoscaler::cost_of(*workers, tiers, now_millis())) << "\n";
}

int run_fixed(Backend& backend, Provisioner& provisioner, const UpArgs& a) {
  for (int i = 0; i < a.workers; ++i)
    if (auto w = provisioner.start(std::string(kFixedTier)); !w) return report(w.error());
  int restarts = 0;
  const int max_restarts = 5 * a.workers;
  std::string trouble;
  auto keep_going = [&] {  // restarts agents that died while work remains
    if (stop_level().load() > 0) return false;
    int live = provisioner.live()[std::string(kFixedTier)];
    for (; live < a.workers; ++live) {
      if (++restarts > max_restarts) {
        trouble = "agents keep stopping (see their logs); giving up";
        return false;
      }
      if (auto w = provisioner.start(std::string(kFixedTier)); !w) {
        trouble = w.error().to_string();
        return false;
      }
    }
    return true;
  };
  auto counts = wait_all(backend, {true, keep_going, a.agent.queue});
  stop_workers(provisioner);
  if (!trouble.empty()) return report(trouble);
  if (!counts) return report("stopped before the queue drained", 130);
  std::cerr << "queue drained: succeeded " << counts->get(Status::kSucceeded) << ", failed "
            << counts->get(Status::kFailed) << ", cancelled " << counts->get(Status::kCancelled)
            << " (" << counts->total() << " in all)\n";
  return kExitOk;
}

// One intake pass, logged.
void take_in(Intake& intake) {
  auto r = intake.scan();
  if (!r) {
    log_line("intake: " + r.error().to_string());
    return;
  }
  for (const auto& id : r->submitted) log_line("intake: submitted " + id);
  for (const auto& x : r->refused) log_line("intake: refused " + x.job_id + ": " + x.reason);
}

int run_autoscaled(Backend& backend, Provisioner& provisioner, const UpArgs& a,
                   const std::vector<autoscaler::Tier>& tiers) {
  auto queue = backend.queue(a.agent.queue);
  if (!queue) return report(queue.error());
  std::unique_ptr<Store> store;
  std::unique_ptr<Intake> intake;
  if (!a.intake.store_url.empty()) {
    auto opened = open_store(a.intake.store_url);
    if (!opened) return report(opened.error());
    store = std::move(*opened);
    intake = std::make_unique<Intake>(*store, backend, a.intake);
    log_line("up: intake from " + store->redacted_url() + ", executables ending in '" +
             a.intake.suffix + "'");
  }
  autoscaler::Controller controller(**queue, provisioner, tiers, a.agent.slots, log_line);
  log_line("up: autoscaling queue '" + a.agent.queue + "' until stopped (Ctrl-C)");
  while (stop_level().load() == 0) {
    if (intake) take_in(*intake);
    if (auto d = controller.tick(); !d) log_line("autoscaler: " + d.error().to_string());
    std::this_thread::sleep_for(kTick);
  }
  log_line("up: stopping the workers");
  stop_workers(provisioner);
  return kExitOk;
}

int run_up(const Globals& g, UpArgs a) {
  if (auto bad = check_options(a.agent); !bad.empty()) return report(bad, kExitUsage);
  if (a.workers == 0 || a.workers < -1) return report("--workers must be at least 1", kExitUsage);
  if (a.max_workers < 0) return report("--max-workers must not be negative", kExitUsage);
  if (!a.intake.store_url.empty() && a.workers > 0)
    return report("--store runs intake, which needs the autoscaled mode: drop --workers",
                  kExitUsage);
  a.intake.store_url = absolute_store_url(a.intake.store_url);
  a.intake.queue = a.agent.queue;
  if (a.workers > 0 && a.max_workers > 0)
    return report("give --workers (a fixed number) or --max-workers (autoscaled), not both",
                  kExitUsage);
  auto backend = open_or_report(g);
  if (!backend) return kExitFailed;
  const std::string url = backend_url(g.backend);
  const std::string log_dir =
      (a.agent.state_dir.empty() ? backend->state_dir() : a.agent.state_dir) + "/agents";
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) return report("cannot create " + log_dir + ": " + ec.message());
  install_stop_handlers();

  const bool fixed = a.workers > 0;
  if (!fixed && a.agent.idle_exit == 0) a.agent.idle_exit = 10;  // how workers scale down
  const std::string prefix = "up" + std::to_string(getpid()) + "-";
  auto provisioner =
      make_local_provisioner({"/proc/self/exe", url, agent_command_args(a.agent), log_dir, prefix});
  const int max = a.max_workers > 0 ? a.max_workers
                                    : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  std::vector<autoscaler::Tier> tiers = {
      {std::string(kFixedTier), 0, fixed ? a.workers : max, a.price, false}};
  std::cerr << "tandem up: " << (fixed ? std::to_string(a.workers) : "up to " + std::to_string(max))
            << " agent(s) on " << backend->redacted_url() << ", queue '" << a.agent.queue
            << "'; their logs are in " << log_dir << "\n";
  const Millis started = now_millis();
  int code = fixed ? run_fixed(*backend, *provisioner, a)
                   : run_autoscaled(*backend, *provisioner, a, tiers);
  if (a.price > 0 || !fixed) report_cost(*backend, prefix, tiers, started);
  return code;
}

}  // namespace

void add_up(CLI::App& app, Globals& g) {
  auto a = std::make_shared<UpArgs>();
  auto* up = app.add_subcommand(
      "up",
      "Run local agents for you. With --workers N: N agents until their queue is empty "
      "(nothing waiting, running or due for a retry), with a progress bar. Without it: "
      "agents start as work arrives, up to --max-workers, leave once the queue stayed empty "
      "(--idle-exit, default 10 s), and `up` keeps running until stopped. Either way it "
      "reports the workers' cost.");
  up->add_option("--workers", a->workers, "a fixed number of agents; stop when drained")
      ->check(CLI::Number);
  up->add_option("--max-workers", a->max_workers,
                 "autoscaled: at most this many agents (default: the machine's cores)");
  up->add_option("--price", a->price, "price of one worker-hour, for the cost report");
  up->add_option("--store", a->intake.store_url,
                 "autoscaled: turn executables landing in this store (file://DIR) into jobs");
  up->add_option("--suffix", a->intake.suffix, "the executables' suffix, for --store")
      ->capture_default_str();
  up->add_option("--idle-exit", a->agent.idle_exit,
                 "autoscaled: an agent leaves once the queue stayed empty this many seconds");
  add_agent_options(up, a->agent);
  up->footer(
      "Examples:\n"
      "  tandem submit jobs.json && tandem up --workers 4\n"
      "  tandem up --max-workers 8 &     # then submit whenever; workers come and go\n"
      "  tandem up --store file://drop   # folders of inputs + run.sh in, results back");
  up->callback([&g, a] { g.exit_code = run_up(g, *a); });
}

}  // namespace tandem::cli
