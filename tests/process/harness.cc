#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tandem::testing {

namespace fs = std::filesystem;

namespace {

pid_t start(const std::vector<std::string>& args, const fs::path& dir, const std::string& url,
            const fs::path& in, const fs::path& out, const fs::path& err) {
  std::vector<std::string> argv_s = {TANDEM_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) return pid;
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  setpgid(0, 0);
  if (chdir(dir.c_str()) != 0) _exit(126);
  int i = open(in.empty() ? "/dev/null" : in.c_str(), O_RDONLY);
  int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (i < 0 || o < 0 || e < 0) _exit(126);
  dup2(i, 0);
  dup2(o, 1);
  dup2(e, 2);
  setenv("TANDEM_BACKEND", url.c_str(), 1);
  execv(argv[0], argv.data());
  _exit(127);
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

Proc::Proc(Proc&& o) noexcept
    : pid_(o.pid_), out_(std::move(o.out_)), err_(std::move(o.err_)), status_(o.status_) {
  o.pid_ = -1;
}

Proc::~Proc() {
  if (pid_ > 0 && status_ < 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void Proc::signal(int sig) const { kill(pid_, sig); }

std::string Proc::err() const { return read_file(err_); }

bool Proc::exited() {
  if (status_ >= 0) return true;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
  return status_ >= 0;
}

Output Proc::wait(std::chrono::milliseconds timeout) {
  if (!eventually([&] { return exited(); }, timeout)) return {-1, read_file(out_), read_file(err_)};
  return {decode(status_), read_file(out_), read_file(err_)};
}

Sandbox::Sandbox() {
  std::string tmpl = (fs::temp_directory_path() / "tandem-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  url_ = "sqlite://" + (dir_ / "state" / "tandem.db").string();
}

Sandbox::~Sandbox() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

Output Sandbox::run(const std::vector<std::string>& args, const std::string& input) const {
  int n = ++runs_;
  fs::path in;
  if (!input.empty()) {
    in = dir_ / ("in." + std::to_string(n));
    std::ofstream(in, std::ios::binary) << input;
  }
  auto out = dir_ / ("out." + std::to_string(n)), err = dir_ / ("err." + std::to_string(n));
  Proc p(start(args, dir_, url_, in, out, err), out, err);
  return p.wait();
}

Proc Sandbox::spawn(const std::vector<std::string>& args) const {
  int n = ++runs_;
  auto out = dir_ / ("out." + std::to_string(n)), err = dir_ / ("err." + std::to_string(n));
  return Proc(start(args, dir_, url_, {}, out, err), out, err);
}

nlohmann::json Sandbox::status(const std::string& id) const {
  auto r = run({"status", id, "--json"});
  if (r.code != 0) throw std::runtime_error("status " + id + " failed: " + r.err);
  return nlohmann::json::parse(r.out);
}

nlohmann::json Sandbox::jobs() const {
  auto r = run({"jobs", "--json"});
  if (r.code != 0) throw std::runtime_error("jobs failed: " + r.err);
  return nlohmann::json::parse(r.out);
}

nlohmann::json Sandbox::queue() const {
  auto r = run({"queue", "--json"});
  if (r.code != 0) throw std::runtime_error("queue failed: " + r.err);
  return nlohmann::json::parse(r.out);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool process_gone(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("State:", 0) == 0) return line.find('Z') != std::string::npos;
  return true;
}

}  // namespace tandem::testing
