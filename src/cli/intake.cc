// tandem intake: files landing in the store become jobs. tandem stage-run: a staged job's
// file handling on its worker (download the folder, run the executable, upload results).
#include "intake/intake.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/cli.h"
#include "common/unique_fd.h"
#include "intake/stage.h"
#include "job/parse.h"

namespace tandem::cli {

namespace {

constexpr int kExitStaging = 125;    // stage-run could not stage the job (or upload results)
constexpr int kExitNoProgram = 127;  // the program to run the executable is missing

// The process to pass SIGTERM and SIGINT on to (stage-run's child); -1: none yet.
std::atomic<pid_t> g_child{-1};
static_assert(std::atomic<pid_t>::is_always_lock_free);
// The last stop signal received, 0 if none.
volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop(int sig) {
  g_stop = sig;
  const pid_t child = g_child.load();
  if (child > 0) kill(child, sig);
}

// SIGTERM and SIGINT set g_stop (and reach the child); no SA_RESTART, so waits wake up.
void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitStaging;
}

// ---- stage-run ----

// The full path of `program` found in $PATH, or empty.
std::string find_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto end = std::min(dirs.find(':'), dirs.size());
    std::string dir(dirs.substr(0, end));
    dirs.remove_prefix(std::min(end + 1, dirs.size()));
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// The argv that runs the executable in the current directory: itself (a script without a
// "#!" line runs with /bin/sh, as execvp does), or PowerShell for ".ps1". Never a shell
// command line: the name is one argument. Empty if PowerShell is needed but missing.
std::vector<std::string> command_for(const StagedJob& job) {
  const std::string self = "./" + job.name;
  if (!is_powershell_key(job.key)) return {self};
  const std::string pwsh = find_in_path("pwsh");
  if (pwsh.empty()) return {};
  return {pwsh, "-NoLogo", "-NoProfile", "-NonInteractive", "-File", self};
}

// Runs `args` with inherited stdin, stdout and stderr, passing SIGTERM and SIGINT on;
// returns its exit code, 128 + signal if a signal ended it.
int run_child(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0)
    return report(std::string("stage-run: cannot fork: ") + std::strerror(errno), kExitStaging);
  if (pid == 0) {
    execvp(argv[0], argv.data());
    const int err = errno;
    std::fprintf(stderr, "tandem: stage-run: cannot run %s: %s\n", argv[0], std::strerror(err));
    _exit(err == ENOENT ? kExitNoProgram : 126);
  }
  g_child.store(pid);
  if (g_stop != 0) kill(pid, g_stop);  // a signal that came before the child was known
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return report("stage-run: cannot wait for the executable", kExitStaging);
  }
  g_child.store(-1);
  return exit_code_of(status);
}

// Uploads what the run made; prints "upload: KEY" for each. False if one failed.
bool upload_results(Store& store, const StagedJob& job, int dir_fd, const Manifest& downloaded) {
  auto uploaded = upload_changes(store, job, dir_fd, downloaded, [](const std::string& key) {
    std::cout << "upload: " << key << std::endl;
  });
  if (!uploaded) {
    report("stage-run: " + uploaded.error().to_string());
    return false;
  }
  for (const auto& line : uploaded->skipped)
    std::cerr << "stage-run: not uploaded: " << line << "\n";
  for (const auto& line : uploaded->failed) report("stage-run: upload failed: " + line);
  return uploaded->failed.empty();
}

std::string env_of(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

int run_stage() {
  install_stop_handlers();
  const std::string key = env_of(kEnvKey), url = env_of(kEnvStore);
  if (key.empty() || url.empty())
    return report(std::string("stage-run: ") + kEnvKey + " and " + kEnvStore +
                      " must be set: this command runs inside jobs made by `tandem intake`",
                  kExitStaging);
  auto job = staged_job(key, env_of(kEnvSuffix).empty() ? ".sh" : env_of(kEnvSuffix));
  if (!job) return report("stage-run: " + job.error().message, kExitStaging);
  auto store = open_store(url);
  if (!store)
    return report("stage-run: cannot open the store: " + store.error().message, kExitStaging);
  UniqueFd here(open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!here.valid()) return report("stage-run: cannot open the working directory", kExitStaging);
  auto downloaded = download_folder(**store, *job, here.get());
  if (!downloaded) return report("stage-run: " + downloaded.error().message, kExitStaging);
  if (auto ok = make_executable(*job, here.get()); !ok)
    return report("stage-run: " + ok.error().message, kExitStaging);
  if (g_stop != 0) return 128 + g_stop;
  auto command = command_for(*job);
  if (command.empty())
    return report("stage-run: " + printable_key(key) +
                      " needs PowerShell, and pwsh is not installed on this worker",
                  kExitNoProgram);
  const int code = run_child(std::move(command));
  if (g_stop != 0) {
    report("stage-run: stopped by signal " + std::to_string(g_stop) + "; nothing uploaded");
    return code;
  }
  const bool uploaded = upload_results(**store, *job, here.get(), *downloaded);
  return code == 0 && !uploaded ? kExitStaging : code;
}

// ---- intake ----

struct IntakeArgs {
  IntakeOptions options;
  double timeout = 0;  // 0: none
  bool once = false;
  double interval = 1;
};

// The options' values, checked: an error message, or empty. The parser's own rules
// (retry, timeout, ...) are applied to a sample job.
std::string check_options(const IntakeArgs& a) {
  const auto& o = a.options;
  if (o.suffix.empty() || o.suffix.find('/') != std::string::npos)
    return "--suffix must be a non-empty file name ending, such as .sh";
  if (a.interval <= 0) return "--interval must be more than 0 seconds";
  auto sample = job_for_key("folder/run" + o.suffix, o);
  if (!sample) return "--suffix: " + sample.error().message;
  if (auto parsed = job_from_json(job_to_json(*sample), "the jobs intake makes"); !parsed)
    return parsed.error().message;
  return {};
}

// Prints what a scan did; returns the number of refusals.
std::size_t log_scan(const ScanReport& r, bool always) {
  for (const auto& id : r.submitted) std::cout << "submitted " << id << "\n";
  for (const auto& x : r.refused)
    std::cout << "refused " << printable_key(x.key) << ": " << x.reason << "\n";
  std::cout.flush();
  if (always || !r.submitted.empty() || !r.refused.empty())
    std::cerr << format_time(now_millis()) << " intake: " << r.submitted.size() << " submitted, "
              << r.skipped.size() << " already there, " << r.refused.size() << " refused\n";
  return r.refused.size();
}

// Sleeps `seconds`, waking early on a stop signal.
void pause_for(double seconds) {
  const Millis until = steady_millis() + static_cast<Millis>(seconds * 1000.0);
  while (g_stop == 0 && steady_millis() < until)
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min<Millis>(100, until - steady_millis())));
}

int run_intake(const Globals& g, IntakeArgs a) {
  if (a.timeout > 0) a.options.timeout = a.timeout;
  if (auto bad = check_options(a); !bad.empty()) return report(bad, kExitUsage);
  a.options.store_url = absolute_store_url(a.options.store_url);
  auto store = open_store(a.options.store_url);
  if (!store) return report(store.error());
  auto backend = open_or_report(g);
  if (!backend) return kExitFailed;
  install_stop_handlers();
  std::cerr << format_time(now_millis()) << " intake: " << (*store)->redacted_url() << " (prefix '"
            << a.options.prefix << "', suffix '" << a.options.suffix << "') to "
            << backend->redacted_url() << ", queue '" << a.options.queue << "'\n";
  Intake intake(**store, *backend, a.options);
  while (true) {
    auto scanned = intake.scan();
    if (!scanned) report("intake: " + scanned.error().to_string());
    const std::size_t refused = scanned ? log_scan(*scanned, a.once) : 0;
    if (a.once) return scanned && refused == 0 ? kExitOk : kExitFailed;
    pause_for(a.interval);
    if (g_stop != 0) return kExitOk;
  }
}

}  // namespace

// A file:// URL with a relative directory made absolute: jobs run in other directories.
std::string absolute_store_url(const std::string& url) {
  constexpr std::string_view kFile = "file://";
  if (!url.starts_with(kFile)) return url;
  const std::filesystem::path dir = url.substr(kFile.size());
  if (dir.empty() || dir.is_absolute()) return url;
  return std::string(kFile) + std::filesystem::absolute(dir).lexically_normal().string();
}

void add_intake(CLI::App& app, Globals& g) {
  auto a = std::make_shared<IntakeArgs>();
  auto* intake = app.add_subcommand(
      "intake",
      "Turn files landing in an object store into jobs (the post's Part 2): upload a job's "
      "input files into a folder of its own, then its executable (name ending in the "
      "suffix) LAST. Each executable becomes one job, job_id = its key, that runs it in a "
      "copy of its folder and uploads new and changed files back beside the inputs. Scans "
      "every --interval seconds until SIGINT or SIGTERM.");
  intake
      ->add_option("--store", a->options.store_url,
                   "object store URL: file://DIR (a relative DIR is made absolute); every worker "
                   "must reach it")
      ->required();
  intake->add_option("--prefix", a->options.prefix, "only look at keys starting with this");
  intake
      ->add_option("--suffix", a->options.suffix,
                   "executables end with this; .ps1 runs with PowerShell. Results ending with it "
                   "are not uploaded (they would start new jobs)")
      ->capture_default_str();
  intake->add_option("--queue", a->options.queue, "queue to submit to")->capture_default_str();
  intake->add_option("--retry", a->options.retry, "retries after a job's first attempt")
      ->capture_default_str();
  intake->add_option("--success", a->options.success_string,
                     "success string the output must contain, e.g. 'upload:' (a result was "
                     "uploaded); blank: the exit code alone decides");
  intake->add_option("--timeout", a->timeout, "seconds before a job is killed (0: none)");
  intake->add_flag("--once", a->once, "scan once and exit: 0 if nothing was refused, else 1");
  intake->add_option("--interval", a->interval, "seconds between scans")->capture_default_str();
  intake->footer(
      "Example:\n"
      "  mkdir -p store/jobs/job1 && cp input.dat store/jobs/job1/\n"
      "  cp run.sh store/jobs/job1/             # the executable last: it starts the job\n"
      "  tandem intake --store file://store --once && tandem up --workers 2\n"
      "  ls store/jobs/job1/                    # results beside the inputs");
  intake->callback([&g, a] { g.exit_code = run_intake(g, *a); });

  auto* stage = app.add_subcommand(
      "stage-run",
      "Meant for jobs made by `tandem intake`, not for people: download the job's folder "
      "($TANDEM_STORE, $TANDEM_KEY) into the current directory, run the executable, upload "
      "new and changed files back, printing 'upload: KEY' for each. Exits with the "
      "executable's exit code; 125 if staging failed, 127 if PowerShell is missing.");
  stage->footer("Example (what every intake job runs):\n  \"$TANDEM_BIN\" stage-run");
  stage->callback([&g] { g.exit_code = run_stage(); });
}

}  // namespace tandem::cli
