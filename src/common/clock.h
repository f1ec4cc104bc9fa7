// Time as tandem stores it: milliseconds since the Unix epoch, wall clock.
// The agent's state machine never reads a clock; its driver passes `now` in.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace tandem {

using Millis = std::int64_t;  // milliseconds since the Unix epoch

inline Millis now_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Monotonic milliseconds, for deadlines and intervals inside one process.
inline Millis steady_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// "2026-11-26T14:52:10.123Z"; empty for 0.
std::string format_time(Millis t);

}  // namespace tandem
