// The stores the contract suite runs against. Adding a store is one entry here.
#include <unistd.h>

#include <atomic>
#include <string>

#include "store_contract.h"

namespace tandem::store_contract {

namespace {

std::string unique_name() {
  static std::atomic<int> counter{0};
  return "store-contract-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

}  // namespace

const std::vector<StoreFactory>& store_factories() {
  static const std::vector<StoreFactory> factories = {
      {"memory", [](const auto&) { return "memory://" + unique_name(); }},
      {"file", [](const auto& scratch) { return "file://" + (scratch / "store").string(); }},
  };
  return factories;
}

}  // namespace tandem::store_contract
