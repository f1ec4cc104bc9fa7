// A provisioner starts and stops workers: here local processes; later hosts over SSH,
// EC2 instances and Slurm pilot jobs. It carries out the autoscaler's decisions and never
// makes any: it starts what it is told, and workers leave by themselves once their queue
// stayed empty (so no worker running a job is ever stopped to scale down).
//
// Not thread-safe.
#pragma once

#include <map>
#include <string>

#include "common/clock.h"
#include "common/error.h"

namespace tandem {

class Provisioner {
 public:
  virtual ~Provisioner() = default;

  // Starts one worker of `tier`. Returns its id (as the worker registry will know it).
  // kUnavailable if it cannot be started now.
  virtual Result<std::string> start(const std::string& tier) = 0;

  // The workers this provisioner started that are still alive, counted per tier. Notices
  // the ones that ended.
  virtual std::map<std::string, int> live() = 0;

  // Asks every worker to stop: `now` false lets each finish its job, true returns the
  // jobs to the queue at once. Returns without waiting.
  virtual void stop_all(bool now) = 0;

  // Waits until every worker has ended, at most `timeout_ms`; false if some still run.
  virtual bool wait_all(Millis timeout_ms) = 0;
};

}  // namespace tandem
