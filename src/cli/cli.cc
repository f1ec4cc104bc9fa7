#include "cli/cli.h"

#include <cstdio>
#include <iostream>

namespace tandem::cli {

std::unique_ptr<Backend> open_or_report(const Globals& g) {
  auto backend = open_backend(backend_url(g.backend));
  if (!backend) {
    report("cannot open the backend: " + backend.error().to_string());
    return nullptr;
  }
  return std::move(*backend);
}

int report(const std::string& what, int code) {
  std::cerr << "tandem: " << what << "\n";
  return code;
}

int report(const Error& e) {
  return report(e.to_string(), e.code == ErrorCode::kInvalid ? kExitUsage : kExitFailed);
}

std::string dump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json record_json(const JobRecord& r) {
  nlohmann::json j;
  j["job_id"] = r.spec.job_id;
  j["status"] = to_string(r.status);
  j["reason"] = r.reason;
  j["retry"] = r.spec.retry;
  j["job_success_string"] = r.spec.success_string;
  j["ssm_document"] = r.spec.ssm_document;
  j["commands"] = r.spec.commands;
  if (r.spec.timeout_seconds) j["timeout"] = *r.spec.timeout_seconds;
  if (!r.spec.env.empty()) j["env"] = r.spec.env;
  j["cancel_requested"] = r.cancel_requested;
  j["submitted_at"] = format_time(r.submitted_at);
  j["updated_at"] = format_time(r.updated_at);
  j["attempts"] = nlohmann::json::array();
  for (const auto& a : r.attempts) {
    nlohmann::json x;
    x["attempt"] = a.number;
    x["worker"] = a.worker;
    x["started_at"] = format_time(a.started_at);
    x["ended_at"] = a.ended_at ? nlohmann::json(format_time(a.ended_at)) : nlohmann::json();
    x["exit_code"] = a.exit_code ? nlohmann::json(*a.exit_code) : nlohmann::json();
    x["verdict"] = to_string(a.verdict);
    x["reason"] = a.reason;
    x["output_tail"] = a.output_tail;
    x["log"] = a.log;
    j["attempts"].push_back(std::move(x));
  }
  return j;
}

std::string progress_line(const StatusCounts& c, double rate) {
  long total = c.total();
  long done = c.get(Status::kSucceeded) + c.get(Status::kFailed) + c.get(Status::kCancelled);
  constexpr int kWidth = 30;
  int filled = total > 0 ? static_cast<int>(kWidth * done / total) : kWidth;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "[%s] %ld/%ld  succeeded %ld  failed %ld  cancelled %ld  running %ld  "
                "pending %ld  %.0f jobs/s",
                bar.c_str(), done, total, c.get(Status::kSucceeded), c.get(Status::kFailed),
                c.get(Status::kCancelled), c.get(Status::kRunning), c.get(Status::kPending), rate);
  return buf;
}

}  // namespace tandem::cli
