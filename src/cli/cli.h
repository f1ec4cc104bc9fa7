// Shared by the CLI's commands: the global options, opening the backend, printing.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "job/job.h"

namespace tandem::cli {

struct Globals {
  std::string backend;  // --backend URL; empty: $TANDEM_BACKEND or the embedded default
  int exit_code = 0;
};

// Exit codes of every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // a job failed, or an operation was refused
inline constexpr int kExitUsage = 2;   // bad input or arguments; nothing was changed

// Opens the backend named by the global options, or prints why not and returns nullptr.
std::unique_ptr<Backend> open_or_report(const Globals& g);

// A file:// URL with a relative directory made absolute (jobs run in other directories);
// other URLs unchanged.
std::string absolute_store_url(const std::string& url);

// Prints "tandem: <what>" to stderr and returns `code`.
int report(const std::string& what, int code = kExitFailed);
int report(const Error& e);

// The record as JSON, in the spirit of the post's get-item: the job's fields, status,
// and `attempts`. Output that is not valid UTF-8 is replaced, never an error.
nlohmann::json record_json(const JobRecord& r);
std::string dump(const nlohmann::json& j, int indent = 2);

// A live progress line for a terminal: "[####....] 512/1000 succeeded 500 failed 12 ...".
// `rate`: jobs ended per second.
std::string progress_line(const StatusCounts& c, double rate);

// Each command adds itself to the app.
void add_submit(CLI::App& app, Globals& g);
void add_inspect(CLI::App& app, Globals& g);  // status, jobs, logs, queue, cancel
void add_wait(CLI::App& app, Globals& g);
void add_agent(CLI::App& app, Globals& g);
void add_up(CLI::App& app, Globals& g);
void add_events(CLI::App& app, Globals& g);  // events, workers, interrupt
void add_intake(CLI::App& app, Globals& g);  // intake, stage-run

// `tandem wait` without ids, shared with `tandem up`: until no job is PENDING or RUNNING
// (or, with `queue`, until that queue holds no message: nothing waiting, running or
// due for a retry). Draws the progress bar on stderr when it is a terminal. Returns the
// final counts. `keep_going` is polled and can end the wait early (returns nullopt then).
struct WaitOptions {
  bool progress = true;
  std::function<bool()> keep_going;
  std::optional<std::string> queue;
};
std::optional<StatusCounts> wait_all(Backend& backend, const WaitOptions& options);

}  // namespace tandem::cli
