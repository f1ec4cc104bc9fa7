#include "autoscaler/controller.h"

namespace tandem::autoscaler {

Controller::Controller(Queue& queue, Provisioner& provisioner, std::vector<Tier> tiers, int slots,
                       std::function<void(const std::string&)> log)
    : queue_(queue),
      provisioner_(provisioner),
      tiers_(std::move(tiers)),
      slots_(slots),
      log_(std::move(log)) {}

Result<ScaleDecision> Controller::tick() {
  auto stats = queue_.stats();
  if (!stats) return std::unexpected(stats.error());
  auto live_by_tier = provisioner_.live();
  std::vector<int> live;
  for (const auto& t : tiers_) live.push_back(live_by_tier[t.name]);
  ScaleDecision d =
      decide(tiers_, {stats->visible, stats->in_flight, stats->delayed}, live, slots_);
  if (d.reason != last_reason_) {
    log_("autoscaler: " + d.reason);
    last_reason_ = d.reason;
  }
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    for (int n = 0; n < d.tiers[i].start; ++n) {
      auto started = provisioner_.start(tiers_[i].name);
      if (!started) {
        log_("autoscaler: " + started.error().to_string());
        break;
      }
    }
  }
  return d;
}

}  // namespace tandem::autoscaler
