#include "provisioner/local_provisioner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace tandem {

namespace {

struct Worker {
  pid_t pid = -1;
  std::string id;
  std::string tier;
};

class LocalProvisioner final : public Provisioner {
 public:
  explicit LocalProvisioner(LocalProvisionerOptions o) : o_(std::move(o)) {}
  ~LocalProvisioner() override {
    stop_all(false);
    wait_all(0);
  }

  Result<std::string> start(const std::string& tier) override {
    std::string id = o_.name_prefix + tier + "-" + std::to_string(++started_);
    std::vector<std::string> args = {"tandem", "agent", "--worker", id, "--tier", tier};
    args.insert(args.end(), o_.agent_args.begin(), o_.agent_args.end());
    pid_t pid = spawn(args, o_.log_dir + "/agent-" + id + ".log");
    if (pid < 0)
      return fail(ErrorCode::kUnavailable,
                  std::string("cannot start an agent: ") + std::strerror(errno));
    workers_.push_back({pid, id, tier});
    return id;
  }

  std::map<std::string, int> live() override {
    std::map<std::string, int> counts;
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (waitpid(it->pid, nullptr, WNOHANG) == it->pid) {
        it = workers_.erase(it);
        continue;
      }
      ++counts[it->tier];
      ++it;
    }
    return counts;
  }

  void stop_all(bool now) override {
    for (const auto& w : workers_) kill(w.pid, now ? SIGUSR1 : SIGTERM);
  }

  bool wait_all(Millis timeout_ms) override {
    const Millis until = steady_millis() + timeout_ms;
    while (!live().empty()) {
      if (timeout_ms > 0 && steady_millis() >= until) return false;
      if (timeout_ms <= 0) {  // no limit: block on each in turn
        for (const auto& w : workers_) waitpid(w.pid, nullptr, 0);
        workers_.clear();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

 private:
  pid_t spawn(std::vector<std::string>& args, const std::string& log_file) const {
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
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
    setenv("TANDEM_BACKEND", o_.backend_url.c_str(), 1);
    execv(o_.program.c_str(), argv.data());
    _exit(127);
  }

  LocalProvisionerOptions o_;
  std::vector<Worker> workers_;
  int started_ = 0;
};

}  // namespace

std::unique_ptr<Provisioner> make_local_provisioner(LocalProvisionerOptions options) {
  return std::make_unique<LocalProvisioner>(std::move(options));
}

}  // namespace tandem
