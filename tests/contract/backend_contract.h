// One contract test base run against every backend: each suite derives from
// BackendContract and is instantiated with TANDEM_CONTRACT_SUITE, so every TEST_P runs
// once per entry of backend_factories() (backend_factories.cc).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "../support/temp_dir.h"
#include "backend/backend.h"

namespace tandem::contract {

struct BackendFactory {
  std::string name;  // the last part of the test names: letters, digits, _
  // A URL for a fresh, empty backend. `scratch` is an empty directory of this test,
  // removed after it.
  std::function<std::string(const std::filesystem::path& scratch)> fresh_url;
};

// gtest prints a factory as its name.
inline void PrintTo(const BackendFactory& factory, std::ostream* out) { *out << factory.name; }

// Every backend the contract runs against.
const std::vector<BackendFactory>& backend_factories();

// The factory's name, for the test names.
std::string factory_name(const ::testing::TestParamInfo<BackendFactory>& param_info);

class BackendContract : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Another Backend on this test's URL; nullptr (and a test failure) if it cannot open.
  std::unique_ptr<Backend> open_again();

  Backend& backend() { return *backend_; }
  JobTable& table() { return backend_->table(); }
  // The queue of that name on backend() (default: "q").
  Queue& queue(std::string_view name = "q");
  const std::string& url() const { return url_; }

 private:
  tandem::testing::TempDir scratch_;  // outlives backend_
  std::string url_;
  std::unique_ptr<Backend> backend_;
};

// A job with one command.
JobSpec make_job(const std::string& id, const std::string& command = "echo hello");

// Receives one message; nullopt when none came (a receive error is a test failure).
std::optional<Message> receive(Queue& q, Millis lease_ms, Millis wait_ms);

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

}  // namespace tandem::contract

// Runs every TEST_P of `Suite` (a subclass of BackendContract) against every backend.
#define TANDEM_CONTRACT_SUITE(Suite)                                                     \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite,                                              \
                           ::testing::ValuesIn(::tandem::contract::backend_factories()), \
                           ::tandem::contract::factory_name)
