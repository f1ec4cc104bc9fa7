// What a run cost: worker-seconds per tier times the tier's price per worker-hour.
#pragma once

#include <string>
#include <vector>

#include "autoscaler/policy.h"
#include "backend/workers.h"

namespace tandem::autoscaler {

struct TierCost {
  std::string tier;
  int workers = 0;
  double worker_seconds = 0;
  double cost = 0;  // in the price's currency
};

// Sums the workers' lives (started_at to stopped_at, or to `now` for live ones) per tier.
// Workers of a tier not in `tiers` are counted at price 0.
std::vector<TierCost> cost_of(const std::vector<WorkerRecord>& workers,
                              const std::vector<Tier>& tiers, Millis now);

// "on-demand: 2 workers, 120.0 worker-s, 0.0128; spot: ...; total 0.0311".
std::string cost_report(const std::vector<TierCost>& costs);

}  // namespace tandem::autoscaler
