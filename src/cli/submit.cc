// tandem submit: jobs from a file, stdin, or a command line.
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>

#include "cli/cli.h"
#include "job/parse.h"

namespace tandem::cli {

namespace {

struct SubmitArgs {
  std::string file;
  std::vector<std::string> cmds;
  std::string id;
  std::string retry = "0";
  std::string success;
  double timeout = 0;
  std::string queue = std::string(kDefaultQueue);
};

Result<std::string> read_input(const std::string& file) {
  std::ostringstream text;
  if (file == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in)
      return fail(ErrorCode::kInvalid, "cannot read '" + file + "': " + std::strerror(errno));
    text << in.rdbuf();
  }
  return text.str();
}

std::string generated_id() {
  std::random_device rd;
  char buf[64];
  std::snprintf(buf, sizeof buf, "job-%lld-%04x", static_cast<long long>(now_millis()),
                rd() & 0xffff);
  return buf;
}

// The job of `--cmd`, validated by the same rules as a file's.
Result<std::vector<JobSpec>> job_from_flags(const SubmitArgs& a) {
  nlohmann::json j;
  j["job_id"] = a.id.empty() ? generated_id() : a.id;
  j["retry"] = a.retry;
  j["job_success_string"] = a.success;
  j["commands"] = a.cmds;
  if (a.timeout > 0) j["timeout"] = a.timeout;
  auto spec = job_from_json(j, "--cmd job");
  if (!spec) return std::unexpected(spec.error());
  return std::vector<JobSpec>{*spec};
}

int run_submit(const Globals& g, const SubmitArgs& a) {
  if (a.file.empty() == a.cmds.empty())
    return report("give either FILE (or - for stdin) or --cmd, not both and not neither",
                  kExitUsage);
  Result<std::vector<JobSpec>> jobs;
  if (!a.cmds.empty()) {
    jobs = job_from_flags(a);
  } else {
    auto text = read_input(a.file);
    if (!text) return report(text.error());
    jobs = parse_submission(*text);
    if (!jobs)
      return report((a.file == "-" ? std::string("stdin") : a.file) + ": " + jobs.error().message,
                    kExitUsage);
  }
  if (!jobs) return report(jobs.error());
  auto backend = open_or_report(g);
  if (!backend) return kExitFailed;
  auto put = backend->submit(*jobs, a.queue);
  if (!put)
    return report(put.error().message + "; nothing was submitted",
                  put.error().code == ErrorCode::kConflict ? kExitUsage : kExitFailed);
  if (!a.cmds.empty() && !put->added.empty()) std::cout << put->added.front() << "\n";
  std::cerr << "submitted " << put->added.size() << " job" << (put->added.size() == 1 ? "" : "s")
            << " to queue '" << a.queue << "'";
  if (put->existing > 0)
    std::cerr << " (" << put->existing << " identical ones were already there)";
  std::cerr << "\n";
  return kExitOk;
}

}  // namespace

void add_submit(CLI::App& app, Globals& g) {
  auto args = std::make_shared<SubmitArgs>();
  auto* cmd = app.add_subcommand(
      "submit",
      "Submit jobs: a JSON object, a JSON array of them, or one object per line (JSON lines), "
      "from FILE or - (stdin); or one job from --cmd. All or nothing: one bad job and none is "
      "submitted.");
  cmd->add_option("FILE", args->file, "file of jobs, or - for stdin");
  cmd->add_option("--cmd", args->cmds, "a command of the job (repeat for several, run in order)");
  cmd->add_option("--id", args->id, "job_id for --cmd (default: job-<time>-<random>)");
  cmd->add_option("--retry", args->retry, "retries after the first attempt, for --cmd");
  cmd->add_option("--success", args->success,
                  "success string for --cmd: the output must contain it");
  cmd->add_option("--timeout", args->timeout, "seconds before --cmd's job is killed");
  cmd->add_option("--queue", args->queue, "queue name")->capture_default_str();
  cmd->footer(
      "Job format (the post's, plus optional timeout and env):\n"
      "  {\"job_id\": \"jobId_0\", \"retry\": \"3\", \"job_success_string\": \"Hello\",\n"
      "   \"ssm_document\": \"AWS-RunShellScript\", \"commands\": [\"echo Hello World\"],\n"
      "   \"timeout\": 600, \"env\": {\"CASE\": \"7\"}}\n"
      "Examples:\n"
      "  tandem submit jobs.json\n"
      "  generate-jobs | tandem submit -\n"
      "  tandem submit --cmd 'make -C case7' --retry 2 --timeout 3600");
  cmd->callback([&g, args] { g.exit_code = run_submit(g, *args); });
}

}  // namespace tandem::cli
