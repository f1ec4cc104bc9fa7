#include "job/job.h"

#include <algorithm>
#include <cctype>

#include "common/text.h"

namespace tandem {

std::string JobSpec::script() const {
  std::string out;
  for (const auto& c : commands) {
    out += c;
    out += '\n';
  }
  return out;
}

bool JobSpec::checks_output() const {
  return std::any_of(success_string.begin(), success_string.end(),
                     [](unsigned char c) { return !std::isspace(c); });
}

namespace {

constexpr Status kStatuses[] = {Status::kPending, Status::kRunning, Status::kSucceeded,
                                Status::kFailed, Status::kCancelled};
constexpr Verdict kVerdicts[] = {Verdict::kRunning,    Verdict::kSucceeded, Verdict::kFailed,
                                 Verdict::kTimedOut,   Verdict::kCancelled, Verdict::kLost,
                                 Verdict::kInterrupted};

}  // namespace

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kPending: return "PENDING";
    case Status::kRunning: return "RUNNING";
    case Status::kSucceeded: return "SUCCEEDED";
    case Status::kFailed: return "FAILED";
    case Status::kCancelled: return "CANCELLED";
  }
  return "UNKNOWN";
}

std::optional<Status> parse_status(std::string_view text) {
  for (Status s : kStatuses)
    if (iequals(text, to_string(s))) return s;
  return std::nullopt;
}

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::kRunning: return "RUNNING";
    case Verdict::kSucceeded: return "SUCCEEDED";
    case Verdict::kFailed: return "FAILED";
    case Verdict::kTimedOut: return "TIMED_OUT";
    case Verdict::kCancelled: return "CANCELLED";
    case Verdict::kLost: return "LOST";
    case Verdict::kInterrupted: return "INTERRUPTED";
  }
  return "UNKNOWN";
}

std::optional<Verdict> parse_verdict(std::string_view text) {
  for (Verdict v : kVerdicts)
    if (iequals(text, to_string(v))) return v;
  return std::nullopt;
}

int JobRecord::charged_attempts() const {
  return static_cast<int>(std::count_if(attempts.begin(), attempts.end(),
                                        [](const Attempt& a) { return is_charged(a.verdict); }));
}

int JobRecord::count(Verdict v) const {
  return static_cast<int>(std::count_if(attempts.begin(), attempts.end(),
                                        [v](const Attempt& a) { return a.verdict == v; }));
}

long StatusCounts::total() const {
  long n = 0;
  for (const auto& [s, c] : by_status) n += c;
  return n;
}

long StatusCounts::get(Status s) const {
  auto it = by_status.find(s);
  return it == by_status.end() ? 0 : it->second;
}

}  // namespace tandem
