// Runs the real `tandem` binary in a fresh folder with its own SQLite backend.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tandem::testing {

struct Output {
  int code = -1;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};

// A process started in the background; killed (SIGKILL) and reaped if still running
// when destroyed.
class Proc {
 public:
  Proc(pid_t pid, std::filesystem::path out, std::filesystem::path err)
      : pid_(pid), out_(std::move(out)), err_(std::move(err)) {}
  Proc(Proc&& o) noexcept;
  Proc& operator=(Proc&&) = delete;
  ~Proc();

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Waits for it to exit, at most `timeout`; returns its Output, code -1 on timeout.
  Output wait(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  bool exited();  // reaps it if it has
  std::string err() const;  // what it wrote to stderr so far

 private:
  pid_t pid_;
  std::filesystem::path out_, err_;
  int status_ = -1;
};

class Sandbox {
 public:
  Sandbox();
  ~Sandbox();

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& backend() const { return url_; }

  // Runs `tandem ARGS...` to its end, with `input` on stdin.
  Output run(const std::vector<std::string>& args, const std::string& input = "") const;
  Proc spawn(const std::vector<std::string>& args) const;

  // `tandem status ID --json`, parsed.
  nlohmann::json status(const std::string& id) const;
  // `tandem jobs --json`, parsed.
  nlohmann::json jobs() const;
  // `tandem queue --json`, parsed.
  nlohmann::json queue() const;

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
  std::string url_;
  mutable int runs_ = 0;
};

// Polls `condition` every 20 ms until it holds (true) or `timeout` passes (false).
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// True once `pid` no longer runs (gone, or a zombie).
bool process_gone(pid_t pid);

std::string read_file(const std::string& path);

}  // namespace tandem::testing
