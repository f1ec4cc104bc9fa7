// The configuration of `tandem up --config FILE` (TOML): queue, store and intake, worker
// tiers with their limits and prices, and pipeline stages. See README.md "Configuration".
#pragma once

#include <string>
#include <vector>

#include "autoscaler/policy.h"
#include "common/error.h"

namespace tandem::cli {

struct TierConfig {
  autoscaler::Tier tier;
  double interruption_rate = 0;     // simulated notices per worker-hour (local workers)
  double interruption_grace = 120;  // seconds each notice gives
};

// A pipeline stage: when a job under `from` succeeds, its folder is copied under `to`
// (same folder name) and `executable` is uploaded into it last, which makes the next job.
struct StageConfig {
  std::string name;
  std::string from;        // a prefix of the store, e.g. "pre/"
  std::string to;          // e.g. "sim/"
  std::string executable;  // a local file: the next stage's program
};

struct UpConfig {
  std::string queue = "default";
  int slots = 1;
  double idle_exit = 10;
  std::string store;  // empty: no intake
  std::string prefix;
  std::string suffix = ".sh";
  std::vector<TierConfig> tiers;
  std::vector<StageConfig> stages;
};

// Reads and checks a config file. kInvalid naming the file, the key and what is wrong
// (unknown keys are refused, like unknown job fields); kNotFound if it cannot be read.
Result<UpConfig> load_up_config(const std::string& path);

}  // namespace tandem::cli
