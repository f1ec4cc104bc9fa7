// The local executor: prepares a run's files and command line, then hands the process
// to LocalExecution.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <utility>

#include "executor/executor.h"
#include "executor/local_execution.h"
#include "executor/process_guard.h"
#include "executor/spawn.h"

extern char** environ;

namespace tandem {
namespace {

namespace fs = std::filesystem;
using local_exec::Child;
using local_exec::LocalExecution;
using local_exec::ProcessGuard;
using local_exec::RunFiles;
using local_exec::SpawnSpec;

// Scripts this long or longer go to a file: one argv string may hold at most 128 KiB.
constexpr std::size_t kInlineScriptLimit = 64 * 1024;
constexpr const char* kShell = "/bin/sh";
constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string fs_error_text(const std::string& what, const std::error_code& ec) {
  return what + ": " + ec.message();
}

// The worker's environment with `extra` added (extra wins). kInvalid for a name that
// cannot be in an environment.
Result<std::vector<std::string>> merged_environment(
    const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    const std::size_t eq = text.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
  }
  for (const auto& [name, value] : extra) {
    if (name.empty() || name.find_first_of(std::string_view("=\0", 2)) != std::string::npos ||
        value.find('\0') != std::string::npos) {
      return fail(ErrorCode::kInvalid,
                  "invalid environment variable name or value: '" + name + "'");
    }
    env.insert_or_assign(name, value);
  }
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

std::string env_value(const std::vector<std::string>& env, std::string_view name) {
  for (const std::string& entry : env) {
    if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return {};
}

// The first executable `name` in `path` (a PATH value), or empty.
std::string find_in_path(std::string_view name, std::string_view path) {
  while (true) {
    const std::size_t colon = path.find(':');
    std::string dir(path.substr(0, colon));
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + std::string(name);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) return {};
    path.remove_prefix(colon + 1);
  }
}

Result<std::string> find_powershell(const std::vector<std::string>& env) {
  std::string path = env_value(env, "PATH");
  if (path.empty()) path = kDefaultPath;
  for (const char* name : {"pwsh", "powershell"}) {
    if (std::string found = find_in_path(name, path); !found.empty()) return found;
  }
  return fail(ErrorCode::kInvalid, "PowerShell (pwsh) is not installed on this worker");
}

// `dir` absolute and normal, without a trailing slash (the script file goes beside it).
std::string absolute_dir(const std::string& dir) {
  fs::path path = fs::absolute(dir).lexically_normal();
  if (!path.has_filename() && path.has_parent_path() && path != path.root_path()) {
    path = path.parent_path();
  }
  return path.string();
}

// Creates `workdir` (which must not exist) and its missing parents; with `reuse`, an
// existing empty directory (not a symlink) is taken as it is.
Result<void> create_workdir(const fs::path& workdir, bool reuse) {
  if (::mkdir(workdir.c_str(), 0755) == 0) return {};
  if (errno == ENOENT) {
    std::error_code ec;
    fs::create_directories(workdir.parent_path(), ec);
    if (ec)
      return fail(ErrorCode::kUnavailable,
                  fs_error_text("cannot create " + workdir.parent_path().string(), ec));
    if (::mkdir(workdir.c_str(), 0755) == 0) return {};
  }
  if (errno != EEXIST) return fail(ErrorCode::kUnavailable, errno_text("cannot create " + workdir.string()));
  std::error_code ec;
  if (reuse && fs::symlink_status(workdir, ec).type() == fs::file_type::directory &&
      fs::is_empty(workdir, ec) && !ec)
    return {};
  return fail(ErrorCode::kUnavailable, "working directory " + workdir.string() +
                                           (reuse ? " exists and is not empty" : " already exists"));
}

// Creates or truncates the log, and its missing parent directories.
Result<void> write_script_file(const std::string& path, std::string_view script) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return fail(ErrorCode::kUnavailable, errno_text("cannot create " + path));
  while (!script.empty()) {
    ssize_t n = ::write(fd.get(), script.data(), script.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorCode::kUnavailable, errno_text("cannot write " + path));
    script.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Fills spec.program and spec.args; writes the script file (recorded in `files`) when
// the script does not go in argv. `pwsh`: PowerShell's path, empty for /bin/sh.
Result<void> plan_command(const RunRequest& request, const std::string& pwsh, SpawnSpec& spec,
                          RunFiles& files) {
  if (!pwsh.empty()) {
    // -File rather than -Command: the script never passes through argv (no size limit,
    // no quoting), PowerShell reports errors with line numbers, and `exit N` sets the
    // exit code, as with AWS-RunPowerShellScript, which also runs a script file.
    files.script_file = files.workdir + ".ps1";
    spec.program = pwsh;
    spec.args = {pwsh, "-NoLogo", "-NoProfile", "-NonInteractive", "-File", files.script_file};
    return write_script_file(files.script_file, request.script);
  }
  spec.program = kShell;
  if (request.script.size() < kInlineScriptLimit) {
    spec.args = {"sh", "-c", request.script};
    return {};
  }
  files.script_file = files.workdir + ".script";
  spec.args = {"sh", files.script_file};
  return write_script_file(files.script_file, request.script);
}

// Removes a run's files unless released: for the failure paths of start().
class FilesCleanup {
 public:
  explicit FilesCleanup(const RunFiles& files) : files_(&files) {}
  FilesCleanup(const FilesCleanup&) = delete;
  FilesCleanup& operator=(const FilesCleanup&) = delete;
  ~FilesCleanup() {
    if (files_ != nullptr) local_exec::remove_run_files(*files_);
  }
  void release() { files_ = nullptr; }

 private:
  const RunFiles* files_;  // not owned
};

class LocalExecutor final : public Executor {
 public:
  explicit LocalExecutor(Result<std::shared_ptr<ProcessGuard>> guard) : guard_(std::move(guard)) {}

  Result<std::unique_ptr<Execution>> start(const RunRequest& request) override {
    if (!guard_) return std::unexpected(guard_.error());
    if (request.script.find('\0') != std::string::npos) {
      return fail(ErrorCode::kInvalid, "the script contains a NUL byte");
    }
    if (request.workdir.empty()) return fail(ErrorCode::kInvalid, "no working directory given");
    SpawnSpec spec;
    auto env = merged_environment(request.env);
    if (!env) return std::unexpected(env.error());
    spec.env = std::move(*env);
    std::string pwsh;
    if (request.powershell) {
      auto found = find_powershell(spec.env);
      if (!found) return std::unexpected(found.error());
      pwsh = std::move(*found);
    }

    RunFiles files{absolute_dir(request.workdir), "", false, request.reuse_workdir,
                   request.log_path};
    if (auto made = create_workdir(files.workdir, request.reuse_workdir); !made)
      return std::unexpected(made.error());
    FilesCleanup cleanup(files);
    if (auto planned = plan_command(request, pwsh, spec, files); !planned) {
      return std::unexpected(planned.error());
    }
    spec.cwd = files.workdir;
    auto child = local_exec::spawn(spec, **guard_);
    if (!child) return std::unexpected(child.error());
    cleanup.release();
    files.keep = request.keep_workdir;
    return std::make_unique<LocalExecution>(std::move(*child), std::move(files),
                                            request.log_after_ms, request.success_string,
                                            *guard_);
  }

 private:
  // The guard, or why it could not be started (then every start() fails with that).
  Result<std::shared_ptr<ProcessGuard>> guard_;
};

}  // namespace

std::unique_ptr<Executor> make_local_executor() {
  return std::make_unique<LocalExecutor>(ProcessGuard::start());
}

}  // namespace tandem
