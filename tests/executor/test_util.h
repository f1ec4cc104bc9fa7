// Helpers for the executor tests: a temporary directory, bounded waits on conditions,
// and running an execution to its end.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "../support/temp_dir.h"
#include "common/clock.h"
#include "executor/executor.h"

namespace tandem::testing {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Polls `condition` every few milliseconds for up to `limit_ms`; true once it holds.
inline bool eventually(const std::function<bool()>& condition, Millis limit_ms = 5000) {
  const Millis deadline = steady_millis() + limit_ms;
  while (!condition()) {
    if (steady_millis() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// True when `pid` no longer runs: gone, or a zombie nobody has reaped yet.
inline bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  return status.find("State:\tZ") != std::string::npos || status.empty();
}

// The pid written to `path` (whole file written at once by the job), or 0 once
// `limit_ms` has passed without one.
inline pid_t read_pid_file(const std::string& path, Millis limit_ms = 5000) {
  pid_t pid = 0;
  eventually(
      [&] {
        const std::string text = read_file(path);
        if (text.empty() || text.back() != '\n') return false;
        pid = static_cast<pid_t>(std::stol(text));
        return true;
      },
      limit_ms);
  return pid;
}

// Waits for the outcome (at most `limit_ms`), reporting errors as test failures.
inline RunOutcome run_to_end(Execution& execution, Millis limit_ms = 8000) {
  const Millis deadline = steady_millis() + limit_ms;
  while (steady_millis() < deadline) {
    auto result = execution.wait(100);
    if (!result) {
      ADD_FAILURE() << result.error().to_string();
      continue;
    }
    if (*result) return **result;
  }
  ADD_FAILURE() << "the run did not end in " << limit_ms << " ms";
  return {};
}

}  // namespace tandem::testing
