// The agent's options, shared by `tandem agent` and `tandem up` (which passes them on to
// the agents it starts), and the stop signals both handle.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "agent/driver.h"
#include "backend/backend.h"

namespace tandem::cli {

struct AgentArgs {
  std::string queue = std::string(kDefaultQueue);
  int slots = 1;
  double lease = 60;
  double idle_exit = 0;
  double backoff = 1;
  int max_lost = 3;
  double kill_grace = 5;
  std::string worker;
  std::string tier;
  std::string state_dir;
  bool keep_workdirs = false;
};

// An error message for an option out of range, or empty.
std::string check_options(const AgentArgs& a);

// Adds the options every agent takes (not --worker, --tier, --idle-exit).
void add_agent_options(CLI::App* cmd, AgentArgs& a);

// The arguments after "agent" that give an agent these options (not --worker/--tier).
std::vector<std::string> agent_command_args(const AgentArgs& a);

// SIGTERM and SIGINT raise the level by one each; SIGUSR1 sets it to 2 (return the
// running jobs at once). Signals of one kind merge while pending, so two quick SIGTERMs
// may count as one: a program that means "now" sends SIGUSR1.
agent::ShutdownLevel& stop_level();
void install_stop_handlers();

}  // namespace tandem::cli
