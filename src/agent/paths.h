// Where an agent writes files for a job. A job_id is data: it never decides where a
// file goes. Names are made from a sanitized, shortened form of the id plus a hash of
// the whole id, so they are readable, unique per id, and always one plain path segment.
#pragma once

#include <string>
#include <string_view>

namespace tandem::agent {

// One path segment for `job_id`: [A-Za-z0-9_.-] only, no leading '.', at most ~100
// bytes, and a 16-hex-digit FNV-1a hash of the full id. Never empty, never "." or "..".
std::string safe_name(std::string_view job_id);

// <state_dir>/logs/<safe_name>.<n>.log, absolute.
std::string log_path(const std::string& state_dir, std::string_view job_id, int attempt);

// <state_dir>/work/<safe_name>.<attempt>.<pid>.<slot>, absolute; unique per run.
std::string work_path(const std::string& state_dir, std::string_view job_id, int attempt, int slot);

// <state_dir>/work/slot.<pid>.<slot>, absolute: one slot's working directory, emptied
// after each run and used again by the next.
std::string slot_work_path(const std::string& state_dir, int slot);

}  // namespace tandem::agent
