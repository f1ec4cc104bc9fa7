// The autoscaler's policy: pure. Queue figures and tier limits in, a decision out.
// Provisioners carry decisions out; they never decide.
//
// The rules (the post's, with the On-Demand + Spot post's capacity model):
// - demand is the work there is: visible + in flight + delayed messages, in worker slots;
// - tiers fill in order: the never-interrupted base tier first, then the burst tiers;
// - each tier's desired count is clamped to its [min, max];
// - scaling down is never a decision: agents leave on their own once the queue stayed
//   empty, so no worker that runs a job is ever stopped to scale down.
#pragma once

#include <string>
#include <vector>

namespace tandem::autoscaler {

struct Tier {
  std::string name;
  int min = 0;
  int max = 0;
  double price_per_hour = 0;  // per worker-hour
  bool interruptible = false;
};

struct QueueFigures {
  long visible = 0;
  long in_flight = 0;
  long delayed = 0;
};

struct TierDecision {
  int live = 0;     // workers of the tier alive now (starting or running)
  int desired = 0;  // what the tier should have
  int start = 0;    // workers to start now: max(0, desired - live)
};

struct ScaleDecision {
  std::vector<TierDecision> tiers;  // in the order of the tiers given
  long demand = 0;                  // workers the work could use
  std::string reason;               // one line, for the log
  int to_start() const;
};

// Decides how many workers each tier should have. `live[i]` is tier i's live workers
// (missing entries count as 0); `slots` the jobs one worker runs at once (at least 1).
ScaleDecision decide(const std::vector<Tier>& tiers, const QueueFigures& queue,
                     const std::vector<int>& live, int slots);

}  // namespace tandem::autoscaler
