#include "store/memory/memory_store.h"

#include <fcntl.h>

#include <map>
#include <mutex>

#include "store/local_io.h"

namespace tandem {

namespace {

// The objects of one name, shared by every MemoryStore opened with it.
struct Object {
  ObjectInfo info;
  std::shared_ptr<const std::string> data;  // shared so that it can be read without the lock
};

struct Bucket {
  std::mutex mu;
  std::map<std::string, Object, std::less<>> objects;  // by key; guarded by mu
};

// The bucket of that name, created on first use; it lives until the process ends.
std::shared_ptr<Bucket> bucket_named(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<Bucket>, std::less<>> buckets;
  std::lock_guard lock(mu);
  auto it = buckets.find(name);
  if (it == buckets.end())
    it = buckets.emplace(std::string(name), std::make_shared<Bucket>()).first;
  return it->second;
}

class MemoryStore final : public Store {
 public:
  MemoryStore(std::string name, std::shared_ptr<Bucket> bucket)
      : name_(std::move(name)), bucket_(std::move(bucket)) {}

  Result<std::string> get(std::string_view key) override {
    auto data = find(key);
    if (!data) return std::unexpected(data.error());
    return **data;
  }

  Result<void> get_to_file(std::string_view key, const std::filesystem::path& path) override {
    auto data = find(key);
    if (!data) return std::unexpected(data.error());
    return store_io::write_file_atomically(
        path, [&](int fd) { return store_io::write_all(fd, **data, "'" + path.string() + "'"); });
  }

  Result<ObjectInfo> put(std::string_view key, std::string_view data) override {
    if (auto r = check_key(key); !r) return std::unexpected(r.error());
    store_io::Fnv1a hash;
    hash.update(data);
    ObjectInfo info{std::string(key), data.size(), now_millis(), hash.hex()};
    Object object{info, std::make_shared<const std::string>(data)};
    std::lock_guard lock(bucket_->mu);
    bucket_->objects.insert_or_assign(info.key, std::move(object));
    return info;
  }

  Result<ObjectInfo> put_file(std::string_view key, const std::filesystem::path& path) override {
    if (auto r = check_key(key); !r) return std::unexpected(r.error());
    std::string what = "'" + path.string() + "'";
    store_io::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return std::unexpected(store_io::errno_error(errno, "cannot open " + what));
    std::string data;
    auto read = store_io::read_chunks(
        fd.get(),
        [&](std::string_view chunk) -> Result<void> {
          data.append(chunk);
          return {};
        },
        what);
    if (!read) return std::unexpected(read.error());
    return put(key, data);
  }

  Result<std::vector<ObjectInfo>> list(std::string_view prefix) override {
    std::vector<ObjectInfo> out;
    std::lock_guard lock(bucket_->mu);
    for (auto it = bucket_->objects.lower_bound(prefix);
         it != bucket_->objects.end() && it->first.starts_with(prefix); ++it)
      out.push_back(it->second.info);
    return out;
  }

  Result<void> remove(std::string_view key) override {
    if (auto r = check_key(key); !r) return r;
    std::lock_guard lock(bucket_->mu);
    if (auto it = bucket_->objects.find(key); it != bucket_->objects.end())
      bucket_->objects.erase(it);
    return {};
  }

  std::string redacted_url() const override { return "memory://" + name_; }

 private:
  // The object's content. kInvalid for an invalid key, kNotFound if there is none.
  Result<std::shared_ptr<const std::string>> find(std::string_view key) {
    if (auto r = check_key(key); !r) return std::unexpected(r.error());
    std::lock_guard lock(bucket_->mu);
    auto it = bucket_->objects.find(key);
    if (it == bucket_->objects.end())
      return fail(ErrorCode::kNotFound,
                  "no object " + printable_key(key) + " in " + redacted_url());
    return it->second.data;
  }

  std::string name_;
  std::shared_ptr<Bucket> bucket_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_memory_store(std::string_view name) {
  if (name.empty())
    return fail(ErrorCode::kInvalid, "memory://NAME needs a name: 'memory://' has none");
  return std::make_unique<MemoryStore>(std::string(name), bucket_named(name));
}

}  // namespace tandem
