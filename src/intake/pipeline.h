// Pipelines: a stage's result folders become the next stage's input. When a job whose
// executable lies under `from` succeeds, its folder (inputs and results, without
// executables) is copied under `to` with the same folder name, and the next stage's
// executable is put there last, so that intake makes the next job from it. Driven by the
// finished event stream, with a consumer offset per stage: restart-safe, each folder
// handed on once (a folder handed on again after a crash is the same copy).
#pragma once

#include <string>

#include "backend/backend.h"
#include "store/store.h"

namespace tandem {

struct PipelineStage {
  std::string name;
  std::string from;            // store prefix ending in '/'
  std::string to;              // store prefix ending in '/'
  std::string program;         // the next stage's executable: its content
  std::string program_name;    // its file name in the folder (must end in the suffix)
  std::string suffix = ".sh";  // executables (not copied on)
};

class Pipeline {
 public:
  Pipeline(Store& store, Backend& backend, PipelineStage stage);

  // Hands on every folder finished since the last call. Returns how many; fails (and
  // leaves the rest to the next call) if the store or the backend fails.
  Result<int> step();

 private:
  Result<void> hand_on(const std::string& job_id);

  Store& store_;
  Backend& backend_;
  PipelineStage stage_;
  std::string consumer_;
};

}  // namespace tandem
