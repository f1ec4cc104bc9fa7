// The autoscaler's loop: reads the queue's figures, asks the pure policy, and has the
// provisioner start what is missing. Decisions are logged with their reasons when they
// change. Scaling down is left to the agents (they leave an empty queue by themselves).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autoscaler/policy.h"
#include "backend/queue.h"
#include "provisioner/provisioner.h"

namespace tandem::autoscaler {

class Controller {
 public:
  // `slots`: jobs one worker runs at once. `log` gets one line per decision that changes.
  Controller(Queue& queue, Provisioner& provisioner, std::vector<Tier> tiers, int slots,
             std::function<void(const std::string&)> log);

  // One round: figures in, workers started. Returns the decision (or why there is none).
  Result<ScaleDecision> tick();

  const std::vector<Tier>& tiers() const { return tiers_; }

 private:
  Queue& queue_;
  Provisioner& provisioner_;
  std::vector<Tier> tiers_;
  int slots_;
  std::function<void(const std::string&)> log_;
  std::string last_reason_;
};

}  // namespace tandem::autoscaler
