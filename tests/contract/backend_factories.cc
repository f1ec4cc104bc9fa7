// The backends every contract suite runs against. Adding a backend is one entry here.
#include <unistd.h>

#include <atomic>
#include <string>

#include "backend_contract.h"

namespace tandem::contract {

namespace {

std::string unique_name() {
  static std::atomic<int> counter{0};
  return "contract-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

}  // namespace

const std::vector<BackendFactory>& backend_factories() {
  static const std::vector<BackendFactory> factories = {
      {"memory", [](const auto&) { return "memory://" + unique_name(); }},
      {"sqlite", [](const auto& scratch) { return "sqlite://" + (scratch / "t.db").string(); }},
  };
  return factories;
}

}  // namespace tandem::contract
