#include "autoscaler/policy.h"

#include <algorithm>

namespace tandem::autoscaler {

int ScaleDecision::to_start() const {
  int n = 0;
  for (const auto& t : tiers) n += t.start;
  return n;
}

ScaleDecision decide(const std::vector<Tier>& tiers, const QueueFigures& queue,
                     const std::vector<int>& live, int slots) {
  slots = std::max(slots, 1);
  ScaleDecision d;
  const long jobs =
      std::max(queue.visible, 0L) + std::max(queue.in_flight, 0L) + std::max(queue.delayed, 0L);
  d.demand = (jobs + slots - 1) / slots;
  d.reason = std::to_string(jobs) + " job(s) (" + std::to_string(queue.visible) + " waiting, " +
             std::to_string(queue.in_flight) + " running, " + std::to_string(queue.delayed) +
             " to retry) need " + std::to_string(d.demand) + " worker(s):";
  long unplaced = d.demand;
  // Base (never interrupted) tiers first, then burst tiers, each group in the given order.
  std::vector<std::size_t> order(tiers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_partition(order.begin(), order.end(),
                        [&](std::size_t i) { return !tiers[i].interruptible; });
  d.tiers.resize(tiers.size());
  for (std::size_t i : order) {
    const Tier& t = tiers[i];
    const int max = std::max(t.max, 0);
    const int min = std::clamp(t.min, 0, max);
    const int wanted = static_cast<int>(std::min<long>(unplaced, max));
    TierDecision& td = d.tiers[i];
    td.live = i < live.size() ? std::max(live[i], 0) : 0;
    td.desired = std::max(wanted, min);
    td.start = std::max(td.desired - td.live, 0);
    unplaced -= wanted;
    d.reason += " " + t.name + " " + std::to_string(td.desired) + "/" + std::to_string(max);
    if (td.start > 0) d.reason += " (+" + std::to_string(td.start) + ")";
  }
  if (unplaced > 0)
    d.reason += "; " + std::to_string(unplaced) + " more would fit: every tier is at its max";
  return d;
}

}  // namespace tandem::autoscaler
