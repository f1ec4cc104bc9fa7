// tandem agent: the per-worker scheduler. tandem up: N local agents until the queue drains.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <mutex>

#include "agent/driver.h"
#include "cli/cli.h"

namespace tandem::cli {

namespace {

agent::ShutdownLevel g_shutdown{0};

// SIGTERM and SIGINT: one more level each. SIGUSR1: return the running jobs at once
// (signals of one kind merge while pending, so two quick SIGTERMs may count as one).
extern "C" void on_stop_signal(int sig) {
  if (sig == SIGUSR1) {
    int level = g_shutdown.load(std::memory_order_relaxed);
    while (level < 2 && !g_shutdown.compare_exchange_weak(level, 2)) {
    }
    return;
  }
  g_shutdown.fetch_add(1, std::memory_order_relaxed);
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
}


struct AgentArgs {
  std::string queue = std::string(kDefaultQueue);
  int slots = 1;
  double lease = 60;
  double idle_exit = 0;
  double backoff = 1;
  int max_lost = 3;
  double kill_grace = 5;
  std::string worker;
  std::string state_dir;
  bool keep_workdirs = false;
  int workers = 2;  // for up
};

// The options' values, checked: an error message, or empty.
std::string check_options(const AgentArgs& a) {
  if (a.slots < 1) return "--slots must be at least 1";
  if (a.lease < 1) return "--lease must be at least 1 second";
  if (a.max_lost < 1) return "--max-lost must be at least 1";
  if (a.backoff < 0) return "--backoff must not be negative";
  if (a.kill_grace < 0) return "--kill-grace must not be negative";
  if (a.idle_exit < 0) return "--idle-exit must not be negative";
  if (a.workers < 1) return "--workers must be at least 1";
  return {};
}

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
        a.queue + "', " + std::to_string(a.slots) + " slot(s)");
  }
  int code = agent::run_agent(o, connect, *executor, g_shutdown, log);
  return code == 0 ? kExitOk : kExitFailed;
}

// ---- up ----

struct Child {
  pid_t pid = -1;
  int index = 0;
};

pid_t spawn_agent(const AgentArgs& a, const std::string& url, const std::string& log_file) {
  std::vector<std::string> args = {"tandem",       "agent",
                                   "--queue",      a.queue,
                                   "--slots",      std::to_string(a.slots),
                                   "--lease",      std::to_string(a.lease),
                                   "--backoff",    std::to_string(a.backoff),
                                   "--max-lost",   std::to_string(a.max_lost),
                                   "--kill-grace", std::to_string(a.kill_grace)};
  if (!a.state_dir.empty()) args.insert(args.end(), {"--state-dir", a.state_dir});
  if (a.keep_workdirs) args.push_back("--keep-workdirs");
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  // The child: its own process group (the terminal's Ctrl-C goes to `up`, which forwards
  // it), and a SIGTERM if `up` dies.
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(0);
  int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) dup2(fd, STDERR_FILENO);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
  }
  setenv("TANDEM_BACKEND", url.c_str(), 1);
  execv("/proc/self/exe", argv.data());
  _exit(127);
}

void signal_all(const std::vector<Child>& children, int sig) {
  for (const auto& c : children)
    if (c.pid > 0) kill(c.pid, sig);
}

int run_up(const Globals& g, const AgentArgs& a) {
  if (auto bad = check_options(a); !bad.empty()) return report(bad, kExitUsage);
  auto backend = open_or_report(g);
  if (!backend) return kExitFailed;
  const std::string url = backend_url(g.backend);
  const std::string log_dir =
      (a.state_dir.empty() ? backend->state_dir() : a.state_dir) + "/agents";
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) return report("cannot create " + log_dir + ": " + ec.message());
  install_stop_handlers();

  std::vector<Child> children;
  auto start = [&](int index) {
    pid_t pid = spawn_agent(a, url, log_dir + "/agent-" + std::to_string(index) + ".log");
    if (pid < 0) report(std::string("cannot start an agent: ") + std::strerror(errno));
    return Child{pid, index};
  };
  for (int i = 0; i < a.workers; ++i) children.push_back(start(i));
  std::cerr << "tandem up: " << a.workers << " agent(s) on " << backend->redacted_url()
            << ", queue '" << a.queue << "'; their logs are in " << log_dir << "\n";

  int restarts = 0;
  const int max_restarts = 5 * a.workers;
  std::string trouble;
  // Restarts agents that died while work remains; false ends the wait.
  auto keep_going = [&] {
    if (g_shutdown.load() > 0) return false;
    for (auto& c : children) {
      int status = 0;
      if (c.pid <= 0 || waitpid(c.pid, &status, WNOHANG) != c.pid) continue;
      if (++restarts > max_restarts) {
        trouble = "agents keep stopping (see " + log_dir + "); giving up";
        c.pid = -1;
        return false;
      }
      c = start(c.index);
    }
    return true;
  };
  auto counts = wait_all(*backend, {true, keep_going, a.queue});

  // Stop the agents: SIGTERM lets each finish its job; a second signal to `up` returns
  // the jobs at once (SIGUSR1 to the agents).
  auto pass_on = [&](int level) { signal_all(children, level >= 2 ? SIGUSR1 : SIGTERM); };
  int told = std::max(1, g_shutdown.load());
  pass_on(told);
  for (auto& c : children) {
    while (c.pid > 0) {
      int status = 0;
      pid_t r = waitpid(c.pid, &status, 0);
      if (r == c.pid || (r < 0 && errno != EINTR)) break;
      if (g_shutdown.load() > told) {  // asked again while waiting: pass it on
        told = g_shutdown.load();
        pass_on(told);
      }
    }
  }
  if (!trouble.empty()) return report(trouble);
  if (!counts) return report("stopped before the queue drained", 130);
  std::cerr << "queue drained: succeeded " << counts->get(Status::kSucceeded) << ", failed "
            << counts->get(Status::kFailed) << ", cancelled " << counts->get(Status::kCancelled)
            << " (" << counts->total() << " in all)\n";
  return kExitOk;
}

void add_agent_options(CLI::App* cmd, AgentArgs& a) {
  cmd->add_option("--queue", a.queue, "queue to take jobs from")->capture_default_str();
  cmd->add_option("--slots", a.slots, "jobs to run at once")->capture_default_str();
  cmd->add_option("--lease", a.lease,
                  "seconds a job stays leased without renewal; renewed "
                  "every third of it")
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

}  // namespace

void add_agent(CLI::App& app, Globals& g) {
  auto a = std::make_shared<AgentArgs>();
  auto* agent = app.add_subcommand(
      "agent",
      "Run this worker's scheduler: take jobs from the queue under a lease, run them, verify "
      "them, record every attempt, retry failures. SIGTERM: take no new job, finish the "
      "current one, exit; a second SIGTERM (or SIGUSR1) returns it to the queue at once.");
  add_agent_options(agent, *a);
  agent
      ->add_option("--idle-exit", a->idle_exit,
                   "stop once the queue stayed empty this many seconds (0: never)")
      ->capture_default_str();
  agent->add_option("--worker", a->worker,
                    "this worker's name in the job table (default HOST:PID)");
  agent->footer("Example:\n  tandem agent --slots 4 --idle-exit 60");
  agent->callback([&g, a] { g.exit_code = run_agent_command(g, *a); });

  auto* up = app.add_subcommand(
      "up",
      "Run N agents as local processes until their queue is empty (nothing waiting, "
      "running or due for a retry), with a progress bar; then stop them.");
  up->add_option("--workers", a->workers, "agents to run")->capture_default_str();
  add_agent_options(up, *a);
  up->footer("Example:\n  tandem submit jobs.json && tandem up --workers 4");
  up->callback([&g, a] { g.exit_code = run_up(g, *a); });
}

}  // namespace tandem::cli
