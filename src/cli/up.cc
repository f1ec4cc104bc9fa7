// tandem up: local workers, started and stopped for you. With --workers N: N agents until
// their queue is empty. Without: the autoscaler starts agents as work arrives (from zero),
// they leave once the queue stayed empty, and `up` keeps running until stopped.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "autoscaler/controller.h"
#include "autoscaler/cost.h"
#include "cli/agent_args.h"
#include "cli/cli.h"
#include "cli/up_config.h"
#include "intake/intake.h"
#include "intake/pipeline.h"
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
  std::string config;    // a TOML file: tiers, store, pipeline stages
};

void log_line(const std::string& line) {
  std::cerr << format_time(now_millis()) << " " << line << "\n";
}

// What the autoscaled mode runs besides the autoscaler.
struct Service {
  std::vector<TierConfig> tiers;
  std::vector<StageConfig> stages;
  std::string prefix;  // of this run's worker ids
};

std::vector<autoscaler::Tier> tiers_of(const std::vector<TierConfig>& configs) {
  std::vector<autoscaler::Tier> out;
  for (const auto& c : configs) out.push_back(c.tier);
  return out;
}

// The local provisioner's simulated interruptions: each live worker of a tier with an
// interruption rate gets a notice with probability rate * elapsed hours.
class InterruptionSimulator {
 public:
  InterruptionSimulator(Backend& backend, const Service& service)
      : backend_(backend), service_(service), random_(std::random_device{}()) {}

  void tick(double seconds) {
    auto live = backend_.workers().list(false, 0);
    if (!live) return;
    for (const auto& w : *live) {
      if (w.id.rfind(service_.prefix, 0) != 0 || w.interrupt_at != 0) continue;
      for (const auto& t : service_.tiers) {
        if (t.tier.name != w.tier || t.interruption_rate <= 0) continue;
        std::bernoulli_distribution hit(std::min(1.0, t.interruption_rate * seconds / 3600.0));
        if (!hit(random_)) continue;
        auto grace = static_cast<Millis>(t.interruption_grace * 1000);
        if (backend_.workers().interrupt(w.id, grace, now_millis()))
          log_line("provisioner: interruption notice to " + w.id + " (simulated)");
      }
    }
  }

 private:
  Backend& backend_;
  const Service& service_;
  std::mt19937_64 random_;
};

Result<std::vector<Pipeline>> pipelines(Store& store, Backend& backend, const Service& service,
                                        const std::string& suffix) {
  std::vector<Pipeline> out;
  for (const auto& s : service.stages) {
    std::ifstream in(s.executable, std::ios::binary);
    if (!in)
      return fail(ErrorCode::kInvalid, "stage '" + s.name + "': cannot read " + s.executable);
    std::stringstream program;
    program << in.rdbuf();
    std::string name = std::filesystem::path(s.executable).filename().string();
    if (!name.ends_with(suffix))
      return fail(ErrorCode::kInvalid, "stage '" + s.name + "': executable " + s.executable +
                                           " must end in '" + suffix + "' to make jobs");
    out.emplace_back(store, backend,
                     PipelineStage{s.name, s.from, s.to, program.str(), name, suffix});
  }
  return out;
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
                   const Service& service) {
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
  std::vector<Pipeline> stages;
  if (store) {
    auto made = pipelines(*store, backend, service, a.intake.suffix);
    if (!made) return report(made.error());
    stages = std::move(*made);
  }
  InterruptionSimulator interruptions(backend, service);
  autoscaler::Controller controller(**queue, provisioner, tiers_of(service.tiers), a.agent.slots,
                                    log_line);
  log_line("up: autoscaling queue '" + a.agent.queue + "' until stopped (Ctrl-C)");
  while (stop_level().load() == 0) {
    if (intake) take_in(*intake);
    for (std::size_t i = 0; i < stages.size(); ++i) {
      auto handed = stages[i].step();
      if (!handed)
        log_line("pipeline " + service.stages[i].name + ": " + handed.error().to_string());
      else if (*handed > 0)
        log_line("pipeline " + service.stages[i].name + ": " + std::to_string(*handed) +
                 " folder(s) handed on to " + service.stages[i].to);
    }
    interruptions.tick(std::chrono::duration<double>(kTick).count());
    if (auto d = controller.tick(); !d) log_line("autoscaler: " + d.error().to_string());
    std::this_thread::sleep_for(kTick);
  }
  log_line("up: stopping the workers");
  stop_workers(provisioner);
  return kExitOk;
}

// Applies a config file to the arguments; its tiers and stages go to `service`.
Result<void> apply_config(UpArgs& a, Service& service) {
  auto config = load_up_config(a.config);
  if (!config) return std::unexpected(config.error());
  a.agent.queue = config->queue;
  a.agent.slots = config->slots;
  a.agent.idle_exit = config->idle_exit;
  a.intake.store_url = config->store;
  a.intake.prefix = config->prefix;
  a.intake.suffix = config->suffix;
  service.tiers = config->tiers;
  service.stages = config->stages;
  return {};
}

int run_up(const Globals& g, UpArgs a) {
  Service service;
  if (!a.config.empty()) {
    if (a.workers > 0)
      return report("--config is for the autoscaled mode: drop --workers", kExitUsage);
    if (auto ok = apply_config(a, service); !ok) return report(ok.error());
  }
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
  service.prefix = "up" + std::to_string(getpid()) + "-";
  auto provisioner = make_local_provisioner(
      {"/proc/self/exe", url, agent_command_args(a.agent), log_dir, service.prefix});
  const int max = a.max_workers > 0 ? a.max_workers
                                    : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  if (service.tiers.empty())
    service.tiers.push_back(
        {{std::string(kFixedTier), 0, fixed ? a.workers : max, a.price, false}});
  std::string limits;
  for (const auto& t : service.tiers)
    limits += (limits.empty() ? "" : ", ") + t.tier.name + " " + std::to_string(t.tier.min) + ".." +
              std::to_string(t.tier.max);
  std::cerr << "tandem up: " << (fixed ? "" : "autoscaled ") << "agents (" << limits << ") on "
            << backend->redacted_url() << ", queue '" << a.agent.queue << "'; their logs are in "
            << log_dir << "\n";
  const Millis started = now_millis();
  int code = fixed ? run_fixed(*backend, *provisioner, a)
                   : run_autoscaled(*backend, *provisioner, a, service);
  report_cost(*backend, service.prefix, tiers_of(service.tiers), started);
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
  up->add_option("--config", a->config,
                 "a TOML file: queue, [store], [[tier]]s with min/max/price, [[stage]]s "
                 "(README: Configuration)");
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
