#include "backend/workers.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "common/text.h"

namespace tandem {

namespace {

constexpr std::array kStates = {WorkerState::kIdle, WorkerState::kBusy, WorkerState::kDraining,
                                WorkerState::kStopped};

}  // namespace

std::string_view to_string(WorkerState s) {
  switch (s) {
    case WorkerState::kIdle: return "IDLE";
    case WorkerState::kBusy: return "BUSY";
    case WorkerState::kDraining: return "DRAINING";
    case WorkerState::kStopped: return "STOPPED";
  }
  return "UNKNOWN";
}

std::optional<WorkerState> parse_worker_state(std::string_view text) {
  for (WorkerState s : kStates)
    if (iequals(text, to_string(s))) return s;
  return std::nullopt;
}

}  // namespace tandem
