#include "autoscaler/cost.h"

#include <cstdio>

namespace tandem::autoscaler {

std::vector<TierCost> cost_of(const std::vector<WorkerRecord>& workers,
                              const std::vector<Tier>& tiers, Millis now) {
  std::vector<TierCost> out;
  for (const auto& t : tiers) out.push_back({t.name, 0, 0, 0});
  for (const auto& w : workers) {
    std::size_t i = 0;
    while (i < out.size() && out[i].tier != w.tier) ++i;
    if (i == out.size()) out.push_back({w.tier, 0, 0, 0});
    Millis end = w.stopped_at != 0 ? w.stopped_at : now;
    double seconds = static_cast<double>(std::max<Millis>(end - w.started_at, 0)) / 1000.0;
    double price = i < tiers.size() ? tiers[i].price_per_hour : 0.0;
    out[i].workers += 1;
    out[i].worker_seconds += seconds;
    out[i].cost += seconds / 3600.0 * price;
  }
  return out;
}

std::string cost_report(const std::vector<TierCost>& costs) {
  std::string out;
  double total = 0;
  char buf[160];
  for (const auto& c : costs) {
    std::snprintf(buf, sizeof buf, "%s%s: %d worker(s), %.1f worker-s, %.4f",
                  out.empty() ? "" : "; ", c.tier.c_str(), c.workers, c.worker_seconds, c.cost);
    out += buf;
    total += c.cost;
  }
  std::snprintf(buf, sizeof buf, "; total %.4f", total);
  return out + buf;
}

}  // namespace tandem::autoscaler
