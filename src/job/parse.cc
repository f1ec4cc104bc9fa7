#include "job/parse.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <unordered_map>

namespace tandem {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxJobIdBytes = 1024;
constexpr int kMaxRetry = 1000;
constexpr double kMaxTimeoutSeconds = 366.0 * 24 * 3600;
constexpr std::size_t kMaxProblemsShown = 20;

constexpr std::string_view kShell = "AWS-RunShellScript";
constexpr std::string_view kPowerShell = "AWS-RunPowerShellScript";

// Every field a job may have. "re_run" is written by the post's own scheduler when it
// re-queues a job; tandem accepts and ignores it (the job table counts attempts).
const std::vector<std::string_view> kFields = {"job_id",  "retry",   "job_success_string",
                                               "ssm_document", "commands", "timeout",
                                               "env",     "re_run"};

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view field) {
  std::string best;
  std::size_t best_distance = 3;
  for (auto known : kFields) {
    std::size_t d = edit_distance(field, known);
    if (d < best_distance) {
      best_distance = d;
      best = known;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 80)) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 80) out += "...";
  return out;
}

std::optional<int> parse_count(const json& v) {
  if (v.is_number_integer()) {
    auto n = v.get<long long>();
    if (n < 0 || n > kMaxRetry) return std::nullopt;
    return static_cast<int>(n);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d != std::floor(d) || d < 0 || d > kMaxRetry) return std::nullopt;
    return static_cast<int>(d);
  }
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    auto b = s.find_first_not_of(" \t");
    auto e = s.find_last_not_of(" \t");
    if (b == std::string::npos) return std::nullopt;
    std::string_view t(s.data() + b, e - b + 1);
    int n = -1;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc() || ptr != t.data() + t.size() || n < 0 || n > kMaxRetry)
      return std::nullopt;
    return n;
  }
  return std::nullopt;
}

bool valid_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_';
  });
}

}  // namespace

Result<void> check_job_id(std::string_view id) {
  if (id.empty()) return fail(ErrorCode::kInvalid, "job_id is empty");
  if (id.size() > kMaxJobIdBytes)
    return fail(ErrorCode::kInvalid, "job_id is " + std::to_string(id.size()) +
                                         " bytes long; the limit is " +
                                         std::to_string(kMaxJobIdBytes));
  for (unsigned char c : id)
    if (c < 0x20 || c == 0x7f)
      return fail(ErrorCode::kInvalid,
                  "job_id '" + printable(id) + "' contains a control character");
  return {};
}

Result<JobSpec> job_from_json(const json& j, std::string_view where) {
  std::vector<std::string> problems;
  auto problem = [&](std::string_view field, const std::string& what) {
    problems.push_back("field '" + std::string(field) + "': " + what);
  };
  std::string id_label;
  if (!j.is_object()) {
    return fail(ErrorCode::kInvalid, std::string(where) + ": a job must be a JSON object, not " +
                                         std::string(j.type_name()));
  }
  JobSpec spec;
  for (const auto& [key, value] : j.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end())
      problems.push_back("unknown field '" + printable(key) + "'" + suggestion(key));
  }
  if (auto it = j.find("job_id"); it == j.end()) {
    problem("job_id", "missing (a non-empty string is required)");
  } else if (!it->is_string()) {
    problem("job_id", "must be a string, not " + std::string(it->type_name()));
  } else {
    spec.job_id = it->get<std::string>();
    if (auto ok = check_job_id(spec.job_id); !ok) problem("job_id", ok.error().message);
    else id_label = " (job_id '" + spec.job_id + "')";
  }
  if (auto it = j.find("retry"); it != j.end()) {
    if (auto n = parse_count(*it)) spec.retry = *n;
    else
      problem("retry", "must be a whole number from 0 to " + std::to_string(kMaxRetry) +
                           ", as a number or a string; got " + printable(it->dump()));
  }
  if (auto it = j.find("job_success_string"); it != j.end()) {
    if (it->is_string()) spec.success_string = it->get<std::string>();
    else if (!it->is_null()) problem("job_success_string", "must be a string, not " +
                                                               std::string(it->type_name()));
  }
  if (auto it = j.find("ssm_document"); it != j.end()) {
    if (it->is_string() && (*it == kShell || *it == kPowerShell))
      spec.ssm_document = it->get<std::string>();
    else
      problem("ssm_document", "must be \"AWS-RunShellScript\" or \"AWS-RunPowerShellScript\"; got " +
                                  printable(it->dump()));
  }
  if (auto it = j.find("commands"); it == j.end()) {
    problem("commands", "missing (a non-empty array of strings is required)");
  } else if (!it->is_array() || it->empty()) {
    problem("commands", "must be a non-empty array of strings; got " +
                            printable(it->dump()));
  } else {
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& c = (*it)[i];
      if (!c.is_string()) {
        problem("commands", "item " + std::to_string(i + 1) + " must be a string, not " +
                                std::string(c.type_name()));
      } else if (c.get_ref<const std::string&>().find('\0') != std::string::npos) {
        problem("commands", "item " + std::to_string(i + 1) + " contains a NUL byte");
      } else {
        spec.commands.push_back(c.get<std::string>());
      }
    }
  }
  if (auto it = j.find("timeout"); it != j.end() && !it->is_null()) {
    if (it->is_number() && it->get<double>() > 0 && it->get<double>() <= kMaxTimeoutSeconds)
      spec.timeout_seconds = it->get<double>();
    else
      problem("timeout", "must be a number of seconds greater than 0 and at most 366 days; got " +
                             printable(it->dump()));
  }
  if (auto it = j.find("env"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) {
      problem("env", "must be an object of strings; got " + std::string(it->type_name()));
    } else {
      for (const auto& [name, value] : it->items()) {
        if (!valid_env_name(name))
          problem("env", "'" + printable(name) +
                             "' is not a valid variable name (letters, digits, _; not first a digit)");
        else if (!value.is_string())
          problem("env", "'" + name + "' must be a string, not " +
                             std::string(value.type_name()));
        else if (value.get_ref<const std::string&>().find('\0') != std::string::npos)
          problem("env", "'" + name + "' contains a NUL byte");
        else
          spec.env[name] = value.get<std::string>();
      }
    }
  }
  if (auto it = j.find("re_run"); it != j.end() && !parse_count(*it))
    problem("re_run", "must be a whole number; got " + printable(it->dump()));

  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += std::string(where) + id_label + ": " + p + "\n";
    msg.pop_back();
    return fail(ErrorCode::kInvalid, msg);
  }
  return spec;
}

json job_to_json(const JobSpec& spec) {
  json j = json::object();
  j["job_id"] = spec.job_id;
  j["retry"] = spec.retry;
  j["job_success_string"] = spec.success_string;
  j["ssm_document"] = spec.ssm_document;
  j["commands"] = spec.commands;
  if (spec.timeout_seconds) j["timeout"] = *spec.timeout_seconds;
  if (!spec.env.empty()) j["env"] = spec.env;
  return j;
}

Result<std::string> job_to_text(const JobSpec& spec) {
  try {
    return job_to_json(spec).dump();
  } catch (const json::exception& e) {
    return fail(ErrorCode::kInvalid,
                "job '" + spec.job_id + "' cannot be written as JSON: " + e.what());
  }
}

Result<std::vector<JobSpec>> parse_submission(std::string_view text) {
  struct Item {
    json value;
    std::string where;
  };
  std::vector<Item> items;
  std::vector<std::string> problems;

  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return fail(ErrorCode::kInvalid, "the input holds no job (it is empty)");

  json whole = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!whole.is_discarded()) {
    if (whole.is_array()) {
      if (whole.empty()) return fail(ErrorCode::kInvalid, "the input is an empty array: no job");
      for (std::size_t i = 0; i < whole.size(); ++i)
        items.push_back({std::move(whole[i]), "job " + std::to_string(i + 1)});
    } else {
      items.push_back({std::move(whole), "job 1"});
    }
  } else {
    // JSON lines: one object per line.
    std::size_t line_no = 0, pos = 0;
    while (pos <= text.size()) {
      auto end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      ++line_no;
      pos = end + 1;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      std::string where = "job " + std::to_string(items.size() + problems.size() + 1) +
                          " (line " + std::to_string(line_no) + ")";
      try {
        items.push_back({json::parse(line), where});
      } catch (const json::parse_error& e) {
        problems.push_back(where + ": not valid JSON: " + e.what());
      }
    }
  }

  const std::size_t total = items.size() + problems.size();  // problems so far: bad JSON lines
  std::size_t bad_jobs = problems.size();
  std::vector<JobSpec> jobs;
  std::unordered_map<std::string, std::size_t> seen;
  for (auto& item : items) {
    auto spec = job_from_json(item.value, item.where);
    if (!spec) {
      ++bad_jobs;
      std::string_view msg = spec.error().message;
      for (std::size_t b = 0, e; b < msg.size(); b = e + 1) {
        e = std::min(msg.find('\n', b), msg.size());
        problems.emplace_back(msg.substr(b, e - b));
      }
      continue;
    }
    if (auto it = seen.find(spec->job_id); it != seen.end()) {
      if (jobs[it->second] == *spec) continue;
      ++bad_jobs;
      problems.push_back(item.where + " (job_id '" + spec->job_id +
                         "'): field 'job_id': used by an earlier job of this input with other content");
      continue;
    }
    seen.emplace(spec->job_id, jobs.size());
    jobs.push_back(std::move(*spec));
  }
  if (!problems.empty()) {
    std::string msg = std::to_string(bad_jobs) + " bad job" + (bad_jobs == 1 ? "" : "s") +
                      " of " + std::to_string(total) +
                      "; nothing was submitted:\n";
    for (std::size_t i = 0; i < problems.size() && i < kMaxProblemsShown; ++i)
      msg += "  " + problems[i] + "\n";
    if (problems.size() > kMaxProblemsShown)
      msg += "  ... and " + std::to_string(problems.size() - kMaxProblemsShown) + " more\n";
    msg.pop_back();
    return fail(ErrorCode::kInvalid, msg);
  }
  return jobs;
}

}  // namespace tandem
