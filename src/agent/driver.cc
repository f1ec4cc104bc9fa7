#include "agent/driver.h"

#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/paths.h"

namespace tandem::agent {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

constexpr Millis kWatchTickMs = 200;  // at most this long between looks at a running job
// A run that ends within this time with less than 64 KiB of output writes no log file:
// its whole output is the attempt's output tail in the job table.
constexpr Millis kLogAfterMs = 1000;

std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  return host;
}

std::string worker_name(const AgentOptions& o) {
  return o.worker.empty() ? host_name() + ":" + std::to_string(getpid()) : o.worker;
}

// What the slots share with the heartbeat: the job each runs, and an interruption
// notice for all of them.
struct Shared {
  std::mutex mutex;
  std::vector<std::string> jobs;  // per slot: the job it runs, or empty
  std::atomic<bool> notice{false};
  std::string notice_why;  // set before `notice`
};

// One slot: one state machine, its own backend connection, at most one job at a time.
class Slot {
 public:
  Slot(const AgentOptions& o, int index, const BackendFactory& open, Executor& executor,
       const ShutdownLevel& shutdown, Shared& shared, const LogSink& log)
      : o_(o),
        index_(index),
        open_(open),
        executor_(executor),
        shutdown_(shutdown),
        shared_(shared),
        log_(log) {
    worker_ = worker_name(o);
    if (o.slots > 1) worker_.append("/").append(std::to_string(index));
  }

  // Runs until the state machine stops; returns how it stopped.
  Result<Stopped> run() {
    auto backend = open_();
    if (!backend) return std::unexpected(backend.error());
    backend_ = std::move(*backend);
    auto queue = backend_->queue(o_.queue);
    if (!queue) return std::unexpected(queue.error());
    queue_ = *queue;
    state_dir_ = o_.state_dir.empty() ? backend_->state_dir() : o_.state_dir;

    Step step = transition(State{}, Started{}, now_millis(), o_.policy);
    while (true) {
      if (!step.log.empty()) say(step.log);
      state_ = std::move(step.state);
      std::optional<Event> event;
      for (const Action& action : step.actions) event = perform(action);
      if (auto* stopped = std::get_if<Stopped>(&state_.phase)) {
        ::rmdir(slot_work_path(state_dir_, index_).c_str());  // only if empty; best effort
        return *stopped;
      }
      if (!event) event = watch();
      step = transition(state_, *event, now_millis(), o_.policy);
    }
  }

  const std::string& worker() const { return worker_; }

 private:
  void say(const std::string& line) {
    log_(format_time(now_millis()) + " " + worker_ + " " + line);
  }

  int shutdown_level() const { return shutdown_.load(std::memory_order_relaxed); }

  // A shutdown not yet told to the state machine, if any.
  std::optional<Event> pending_shutdown() {
    if (shared_.notice.load() && told_shutdown_ < 3) {
      told_shutdown_ = 3;
      return Shutdown{true, shared_.notice_why};
    }
    int level = shutdown_level();
    if (level <= told_shutdown_) return std::nullopt;
    told_shutdown_ = level;
    return Shutdown{level >= 2, {}};
  }

  void set_job(const std::string& job_id) {
    std::lock_guard lock(shared_.mutex);
    shared_.jobs[static_cast<std::size_t>(index_)] = job_id;
  }

  std::optional<Event> perform(const Action& action) {
    return std::visit(
        Overloaded{
            [&](const Receive& a) { return std::optional<Event>(receive(a.wait_ms)); },
            [&](const Pause& a) -> std::optional<Event> {
              // Not cut short by a shutdown: a pause waits for the backend to come back
              // before the outcome of a finished job is recorded.
              std::this_thread::sleep_for(std::chrono::milliseconds(a.ms));
              return std::nullopt;
            },
            [&](const Load& a) { return std::optional<Event>(load(a.spec)); },
            [&](const DeadLetter& a) {
              return done_or_failed(queue_->dead_letter(a.msg, a.reason));
            },
            [&](const Finish& a) {
              return done_or_failed(
                  backend_->table().finish(a.job_id, a.status, a.reason, now_millis()));
            },
            [&](const BeginAttempt& a) -> std::optional<Event> {
              auto r = backend_->table().begin_attempt(a.job_id, a.number, worker_,
                                                       log_path(state_dir_, a.job_id, a.number),
                                                       now_millis());
              if (!r) return Failed{r.error()};
              return AttemptBegun{};
            },
            [&](const Launch& a) { return std::optional<Event>(launch(a.spec, a.number)); },
            [&](const Terminate&) -> std::optional<Event> {
              if (execution_) execution_->terminate(o_.policy.kill_grace_ms);
              return std::nullopt;
            },
            [&](const Record& a) -> std::optional<Event> {
              execution_.reset();  // the tree is gone; empties the working directory
              set_job({});
              return done_or_failed(backend_->table().end_attempt(a.job_id, a.attempt, a.status,
                                                                  a.reason, now_millis()));
            },
            [&](const Remove& a) { return done_or_failed(queue_->remove(a.msg)); },
            [&](const Release& a) { return done_or_failed(queue_->release(a.msg, a.delay_ms)); },
            [&](const Exit&) -> std::optional<Event> { return std::nullopt; },
        },
        action);
  }

  static std::optional<Event> done_or_failed(const Result<void>& r) {
    if (!r) return Failed{r.error()};
    return Done{};
  }

  Event receive(Millis wait_ms) {
    Millis until = steady_millis() + wait_ms;
    while (true) {
      if (auto sd = pending_shutdown()) return *sd;
      Millis left = std::max<Millis>(until - steady_millis(), 0);
      auto got = queue_->receive(o_.lease_ms, std::min(left, kWatchTickMs));
      if (!got) return Failed{got.error()};
      if (*got) return Received{std::move(**got)};
      if (steady_millis() >= until) break;
    }
    auto stats = queue_->stats();
    if (!stats) return Failed{stats.error()};
    return QueueEmpty{stats->delayed};
  }

  Event load(const JobSpec& spec) {
    auto& table = backend_->table();
    auto job = table.get(spec.job_id);
    if (job && !*job) {  // sent to the queue directly, not through submit: record it now
      JobSpec one[] = {spec};
      if (auto put = table.put(one, now_millis()); !put) return Failed{put.error()};
      job = table.get(spec.job_id);
    }
    if (!job) return Failed{job.error()};
    if (!*job) return Failed{Error{ErrorCode::kNotFound, "job '" + spec.job_id + "' vanished"}};
    return Loaded{std::move(**job)};
  }

  Event launch(const JobSpec& spec, int number) {
    RunRequest req;
    req.script = spec.script();
    req.powershell = spec.powershell();
    // A slot reuses one working directory, emptied after each run (a new directory per
    // run costs the file system more than the run itself for short jobs).
    req.workdir = o_.keep_workdirs ? work_path(state_dir_, spec.job_id, number, index_)
                                   : slot_work_path(state_dir_, index_);
    req.keep_workdir = o_.keep_workdirs;
    req.reuse_workdir = !o_.keep_workdirs;
    req.log_path = log_path(state_dir_, spec.job_id, number);
    req.log_after_ms = kLogAfterMs;
    req.env = spec.env;
    req.env["TANDEM_JOB_ID"] = spec.job_id;
    req.env["TANDEM_ATTEMPT"] = std::to_string(number);
    req.env["TANDEM_WORKER"] = worker_;
    req.env["TANDEM_WORKDIR"] = req.workdir;
    // This agent's own binary, resolved once: intake's jobs run `"$TANDEM_BIN" stage-run`.
    static const std::string self_exe = [] {
      char buf[4096];
      const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf);
      const bool whole = n > 0 && static_cast<std::size_t>(n) < sizeof buf;
      return whole ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    }();
    req.env["TANDEM_BIN"] = self_exe;
    if (spec.checks_output()) req.success_string = spec.success_string;
    auto started = executor_.start(req);
    if (!started) return LaunchFailed{started.error()};
    execution_ = std::move(*started);
    set_job(spec.job_id);
    running_msg_ = std::get<Starting>(state_.phase).msg;
    running_job_id_ = spec.job_id;
    next_renew_ = steady_millis() + o_.lease_ms / 3;
    next_cancel_check_ = steady_millis() + o_.cancel_check_ms;
    told_lease_lost_ = told_cancel_ = false;
    return Launched{};
  }

  // Waits for the running job to do something worth an event.
  Event watch() {
    if (!execution_) return Tick{};
    if (auto sd = pending_shutdown()) return *sd;
    Millis now = steady_millis();
    Millis wait =
        std::clamp(std::min(next_renew_, next_cancel_check_) - now, Millis{0}, kWatchTickMs);
    auto out = execution_->wait(wait);
    if (!out)
      say("job '" + running_job_id_ + "': " + out.error().to_string());
    else if (*out)
      return Exited{std::move(**out)};
    now = steady_millis();
    if (now >= next_renew_ && !told_lease_lost_) {
      next_renew_ = now + o_.lease_ms / 3;
      auto renewed = queue_->renew(running_msg_, o_.lease_ms);
      if (!renewed && renewed.error().code == ErrorCode::kLeaseLost) {
        told_lease_lost_ = true;
        return LeaseLost{};
      }
      if (!renewed)
        say("cannot renew the lease of job '" + running_job_id_ +
            "': " + renewed.error().to_string());
    }
    if (now >= next_cancel_check_ && !told_cancel_) {
      next_cancel_check_ = now + o_.cancel_check_ms;
      auto job = backend_->table().get(running_job_id_);
      if (job && *job && (*job)->cancel_requested) {
        told_cancel_ = true;
        return CancelRequested{};
      }
    }
    return Tick{};
  }

  const AgentOptions& o_;
  int index_;
  const BackendFactory& open_;
  Executor& executor_;
  const ShutdownLevel& shutdown_;
  Shared& shared_;
  const LogSink& log_;
  std::string worker_;
  std::unique_ptr<Backend> backend_;
  Queue* queue_ = nullptr;
  std::string state_dir_;
  State state_;
  int told_shutdown_ = 0;

  std::unique_ptr<Execution> execution_;
  Message running_msg_;
  std::string running_job_id_;
  Millis next_renew_ = 0;
  Millis next_cancel_check_ = 0;
  bool told_lease_lost_ = false;
  bool told_cancel_ = false;
};

// Keeps the worker in the registry and looks for an interruption notice, until `done`.
class Heartbeat {
 public:
  Heartbeat(const AgentOptions& o, const BackendFactory& open, Shared& shared, const LogSink& log)
      : o_(o), open_(open), shared_(shared), log_(log) {
    record_.id = worker_name(o);
    record_.tier = o.tier;
    record_.host = host_name();
    record_.pid = getpid();
    record_.started_at = now_millis();
  }

  void run() {
    auto backend = open_();
    if (!backend) {
      log_(record_.id + " cannot keep the worker registry: " + backend.error().to_string());
      return;
    }
    std::unique_lock lock(mutex_);
    while (true) {
      beat(**backend, done_);
      if (done_) return;
      wake_.wait_for(lock, std::chrono::milliseconds(o_.heartbeat_ms));
    }
  }

  void stop() {
    std::lock_guard lock(mutex_);
    done_ = true;
    wake_.notify_all();
  }

 private:
  void beat(Backend& backend, bool last) {
    {
      std::lock_guard lock(shared_.mutex);
      auto busy = std::find_if(shared_.jobs.begin(), shared_.jobs.end(),
                               [](const std::string& j) { return !j.empty(); });
      record_.job_id = busy == shared_.jobs.end() ? "" : *busy;
    }
    record_.state = last                     ? WorkerState::kStopped
                    : shared_.notice.load()  ? WorkerState::kDraining
                    : record_.job_id.empty() ? WorkerState::kIdle
                                             : WorkerState::kBusy;
    record_.last_seen = now_millis();
    if (last) record_.stopped_at = record_.last_seen;
    if (auto r = backend.workers().heartbeat(record_); !r)
      log_(record_.id + " cannot update the worker registry: " + r.error().to_string());
    if (last || shared_.notice.load()) return;
    auto me = backend.workers().get(record_.id);
    if (me && *me && (*me)->interrupt_at != 0) {
      shared_.notice_why =
          "interruption notice (grace " + std::to_string((*me)->interrupt_grace_ms / 1000) + "s)";
      shared_.notice.store(true);
      log_(format_time(now_millis()) + " " + record_.id + " got an " + shared_.notice_why +
           ": returning its jobs to the queue and stopping");
    }
  }

  const AgentOptions& o_;
  const BackendFactory& open_;
  Shared& shared_;
  const LogSink& log_;
  WorkerRecord record_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
};

}  // namespace

int run_agent(const AgentOptions& options, const BackendFactory& open, Executor& executor,
              const ShutdownLevel& shutdown, const LogSink& log) {
  int slots = std::max(options.slots, 1);
  std::vector<int> codes(static_cast<std::size_t>(slots), 0);
  Shared shared;
  shared.jobs.resize(static_cast<std::size_t>(slots));
  Heartbeat heartbeat(options, open, shared, log);
  std::thread beating([&] { heartbeat.run(); });
  std::vector<std::thread> threads;
  for (int i = 0; i < slots; ++i) {
    threads.emplace_back([&, i] {
      Slot slot(options, i, open, executor, shutdown, shared, log);
      auto stopped = slot.run();
      auto& code = codes[static_cast<std::size_t>(i)];
      if (!stopped) {
        log(slot.worker() + " cannot start: " + stopped.error().to_string());
        code = 2;
      } else {
        log(format_time(now_millis()) + " " + slot.worker() + " stopped: " + stopped->reason);
        code = stopped->worker_fault ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) t.join();
  heartbeat.stop();
  beating.join();
  return *std::max_element(codes.begin(), codes.end());
}

}  // namespace tandem::agent
