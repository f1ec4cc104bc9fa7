#include "backend/backend.h"

#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "job/parse.h"

namespace tandem {

// Not atomic across the two steps: a backend whose queue and table share a transaction
// overrides this. The queue is looked up first so that a bad queue name records nothing.
Result<PutResult> Backend::submit(std::span<const JobSpec> jobs, std::string_view queue_name) {
  auto q = queue(queue_name);
  if (!q) return std::unexpected(q.error());
  // Serialized before anything is recorded, so that a job that cannot be sent is
  // refused before it is put.
  std::unordered_map<std::string_view, std::string> body_of;
  for (const auto& spec : jobs) {
    auto body = job_to_text(spec);
    if (!body) return std::unexpected(body.error());
    body_of.emplace(spec.job_id, std::move(*body));
  }
  auto put = table().put(jobs, now_millis());
  if (!put) return put;
  std::vector<std::string> bodies;
  bodies.reserve(put->added.size());
  for (const auto& id : put->added) bodies.push_back(std::move(body_of.at(id)));
  if (auto sent = (*q)->send(bodies); !sent) return std::unexpected(sent.error());
  return put;
}

std::string backend_url(std::string_view flag) {
  if (!flag.empty()) return std::string(flag);
  const char* env = std::getenv("TANDEM_BACKEND");
  if (env != nullptr && *env != '\0') return env;
  return std::string(kDefaultBackendUrl);
}

}  // namespace tandem
