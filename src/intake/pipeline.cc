#include "intake/pipeline.h"

namespace tandem {

Pipeline::Pipeline(Store& store, Backend& backend, PipelineStage stage)
    : store_(store),
      backend_(backend),
      stage_(std::move(stage)),
      consumer_("pipeline:" + stage_.name) {}

Result<int> Pipeline::step() {
  auto after = backend_.events().offset(consumer_);
  if (!after) return std::unexpected(after.error());
  auto events = backend_.events().read(*after, Stream::kFinished, 100, 0);
  if (!events) return std::unexpected(events.error());
  int handed = 0;
  for (const auto& e : *events) {
    if (e.job_id.starts_with(stage_.from)) {
      if (auto ok = hand_on(e.job_id); !ok) return std::unexpected(ok.error());
      ++handed;
    }
    if (auto ok = backend_.events().commit(consumer_, e.seq); !ok)
      return std::unexpected(ok.error());
  }
  return handed;
}

Result<void> Pipeline::hand_on(const std::string& job_id) {
  const auto slash = job_id.rfind('/');
  if (slash == std::string::npos || slash < stage_.from.size()) return {};   // no folder
  const std::string folder = job_id.substr(0, slash + 1);                    // "pre/case1/"
  const std::string target = stage_.to + folder.substr(stage_.from.size());  // "sim/case1/"
  auto objects = store_.list(folder);
  if (!objects) return std::unexpected(objects.error());
  for (const auto& o : *objects) {
    if (o.key.ends_with(stage_.suffix)) continue;  // executables would make jobs
    auto data = store_.get(o.key);
    if (!data) return std::unexpected(data.error());
    auto put = store_.put(target + o.key.substr(folder.size()), *data);
    if (!put) return std::unexpected(put.error());
  }
  auto program = store_.put(target + stage_.program_name, stage_.program);  // last
  if (!program) return std::unexpected(program.error());
  return {};
}

}  // namespace tandem
