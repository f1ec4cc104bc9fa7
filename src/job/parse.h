// Reading and writing jobs as JSON: the post's message format, validated strictly.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "job/job.h"

namespace tandem {

// Validates one job object. `where` names it in errors, e.g. "job 3". On failure the
// message names the job (where and job_id), the field and what is wrong; every
// problem of the object is listed, one a line. Unknown fields are refused.
Result<JobSpec> job_from_json(const nlohmann::json& j, std::string_view where);

// The job as a queue message: the post's fields (retry as a number), then the extensions
// that are set. job_from_json(job_to_json(s)) == s.
nlohmann::json job_to_json(const JobSpec& spec);

// job_to_json as text (the queue message's body). kInvalid if a string of the spec is not
// valid UTF-8, which JSON cannot carry.
Result<std::string> job_to_text(const JobSpec& spec);

// Parses a submission: one JSON object, a JSON array of objects, or one object per line
// (JSON lines; blank lines are skipped). All or nothing: on failure the error lists the
// problems of every bad job (position and job_id, field, what is wrong) and no job is
// returned. The same job_id twice in one submission is refused unless identical (then it
// is kept once).
Result<std::vector<JobSpec>> parse_submission(std::string_view text);

// Checks a job_id on its own (the rules job_from_json applies).
Result<void> check_job_id(std::string_view id);

}  // namespace tandem
