// Workers as local `tandem agent` processes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "provisioner/provisioner.h"

namespace tandem {

struct LocalProvisionerOptions {
  std::string program = "/proc/self/exe";  // the tandem binary
  std::string backend_url;                 // given to every agent as TANDEM_BACKEND
  std::vector<std::string> agent_args;     // after "agent": --queue, --slots, --idle-exit...
  std::string log_dir;                     // agent-<id>.log for each worker's stderr
  std::string name_prefix;                 // worker ids are <prefix><tier>-<n>
};

// Each agent runs in its own process group (a terminal's Ctrl-C reaches only the
// process that started it, which decides what to pass on) and gets SIGTERM if that
// process dies. stop_all sends SIGTERM (finish the job) or SIGUSR1 (return it now).
std::unique_ptr<Provisioner> make_local_provisioner(LocalProvisionerOptions options);

}  // namespace tandem
