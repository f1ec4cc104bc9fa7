// Test helpers for intake: unique names for memory:// stores and backends, and a Store
// fake that lists whatever keys it is given (as a broken or foreign store could).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "store/store.h"

namespace tandem::testing {

inline std::string unique_name(const std::string& what) {
  static std::atomic<int> counter{0};
  return what + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

// Lists `keys` (those starting with the prefix, sorted), or fails with kUnavailable
// while `fail_list` is set; every other call goes to `base`.
class ListingStore : public Store {
 public:
  ListingStore(Store& base, std::vector<std::string> listed)
      : keys(std::move(listed)), base_(base) {}

  std::vector<std::string> keys;
  bool fail_list = false;

  Result<std::string> get(std::string_view key) override { return base_.get(key); }
  Result<void> get_to_file(std::string_view key, const std::filesystem::path& path) override {
    return base_.get_to_file(key, path);
  }
  Result<ObjectInfo> put(std::string_view key, std::string_view data) override {
    return base_.put(key, data);
  }
  Result<ObjectInfo> put_file(std::string_view key, const std::filesystem::path& path) override {
    return base_.put_file(key, path);
  }
  Result<std::vector<ObjectInfo>> list(std::string_view prefix) override {
    if (fail_list) return fail(ErrorCode::kUnavailable, "the store is down (fake)");
    std::vector<ObjectInfo> out;
    for (const auto& k : keys)
      if (k.starts_with(prefix)) out.push_back(ObjectInfo{k, 0, 0, ""});
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    return out;
  }
  Result<void> remove(std::string_view key) override { return base_.remove(key); }
  std::string redacted_url() const override { return "fake+" + base_.redacted_url(); }

 private:
  Store& base_;
};

}  // namespace tandem::testing
