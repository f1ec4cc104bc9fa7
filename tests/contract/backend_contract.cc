#include "backend_contract.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace tandem::contract {

std::string factory_name(const ::testing::TestParamInfo<BackendFactory>& param_info) {
  return param_info.param.name;
}

void BackendContract::SetUp() {
  url_ = GetParam().fresh_url(scratch_.path());
  auto opened = open_backend(url_);
  ASSERT_TRUE(ok(opened)) << url_;
  backend_ = std::move(*opened);
}

void BackendContract::TearDown() { backend_.reset(); }

std::unique_ptr<Backend> BackendContract::open_again() {
  auto opened = open_backend(url_);
  EXPECT_TRUE(ok(opened)) << url_;
  return opened ? std::move(*opened) : nullptr;
}

Queue& BackendContract::queue(std::string_view name) {
  auto q = backend_->queue(name);
  if (!q) throw std::runtime_error("cannot open queue: " + q.error().to_string());
  return **q;
}

JobSpec make_job(const std::string& id, const std::string& command) {
  JobSpec spec;
  spec.job_id = id;
  spec.commands = {command};
  return spec;
}

std::optional<Message> receive(Queue& q, Millis lease_ms, Millis wait_ms) {
  auto m = q.receive(lease_ms, wait_ms);
  EXPECT_TRUE(ok(m));
  return m ? *m : std::nullopt;
}

}  // namespace tandem::contract
