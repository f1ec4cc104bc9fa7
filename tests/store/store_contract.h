// One contract test base run against every object store: each suite derives from
// StoreContract and is instantiated with TANDEM_STORE_CONTRACT_SUITE, so every TEST_P runs
// once per entry of store_factories() (store_factories.cc).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "../support/temp_dir.h"
#include "store/store.h"

namespace tandem::store_contract {

struct StoreFactory {
  std::string name;  // the last part of the test names: letters, digits, _
  // A URL for a fresh, empty store. `scratch` is an empty directory of this test, removed
  // after it.
  std::function<std::string(const std::filesystem::path& scratch)> fresh_url;
};

// gtest prints a factory as its name.
inline void PrintTo(const StoreFactory& factory, std::ostream* out) { *out << factory.name; }

// Every store the contract runs against.
const std::vector<StoreFactory>& store_factories();

std::string factory_name(const ::testing::TestParamInfo<StoreFactory>& param_info);

class StoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Another Store on this test's URL; nullptr (and a test failure) if it cannot open.
  std::unique_ptr<Store> open_again();

  Store& store() { return *store_; }
  const std::string& url() const { return url_; }
  // A directory of this test for local files, outside the store.
  std::filesystem::path local_dir() const { return scratch_.path() / "local"; }

 private:
  tandem::testing::TempDir scratch_;  // outlives store_
  std::string url_;
  std::unique_ptr<Store> store_;
};

using ScratchDir = tandem::testing::TempDir;

template <typename T>
::testing::AssertionResult ok(const Result<T>& r) {
  if (r) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.error().to_string();
}

template <typename T>
::testing::AssertionResult fails_with(const Result<T>& r, ErrorCode code) {
  if (r) return ::testing::AssertionFailure() << "succeeded; expected " << to_string(code);
  if (r.error().code == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "failed with " << r.error().to_string() << "; expected " << to_string(code);
}

// The keys of `infos`, in order.
std::vector<std::string> keys_of(const std::vector<ObjectInfo>& infos);

// The whole content of a local file.
std::string read_local(const std::filesystem::path& path);
void write_local(const std::filesystem::path& path, std::string_view data);

}  // namespace tandem::store_contract

// Runs every TEST_P of `Suite` (a subclass of StoreContract) against every store.
#define TANDEM_STORE_CONTRACT_SUITE(Suite)                                                   \
  INSTANTIATE_TEST_SUITE_P(Stores, Suite,                                                    \
                           ::testing::ValuesIn(::tandem::store_contract::store_factories()), \
                           ::tandem::store_contract::factory_name)
