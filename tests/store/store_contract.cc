#include "store_contract.h"

#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tandem::store_contract {

std::string factory_name(const ::testing::TestParamInfo<StoreFactory>& param_info) {
  return param_info.param.name;
}

void StoreContract::SetUp() {
  std::filesystem::create_directory(local_dir());
  url_ = GetParam().fresh_url(scratch_.path());
  auto opened = open_store(url_);
  ASSERT_TRUE(ok(opened)) << url_;
  store_ = std::move(*opened);
}

void StoreContract::TearDown() { store_.reset(); }

std::unique_ptr<Store> StoreContract::open_again() {
  auto opened = open_store(url_);
  EXPECT_TRUE(ok(opened)) << url_;
  return opened ? std::move(*opened) : nullptr;
}

std::vector<std::string> keys_of(const std::vector<ObjectInfo>& infos) {
  std::vector<std::string> keys;
  for (const auto& info : infos) keys.push_back(info.key);
  return keys;
}

std::string read_local(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_local(const std::filesystem::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

}  // namespace tandem::store_contract
