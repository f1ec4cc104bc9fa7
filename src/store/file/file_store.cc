#include "store/file/file_store.h"

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

#include "store/file/tree.h"
#include "store/local_io.h"

namespace tandem {

namespace {

using store_io::errno_error;
using store_io::Fnv1a;
using store_io::UniqueFd;

// How often put starts over when a concurrent remove pruned a directory on its way.
constexpr int kPutTries = 8;

// A file changed less than this long ago may change again without its timestamps moving
// (they are only as fine as the kernel's clock tick): its etag is not cached.
constexpr std::chrono::seconds kSettleTime{2};

Millis mtime_millis(const struct stat& st) {
  return static_cast<Millis>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

// What identifies one version of a file: any write or rename changes one of these.
struct FileVersion {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{};
  timespec ctime{};

  explicit FileVersion(const struct stat& st)
      : dev(st.st_dev), ino(st.st_ino), size(st.st_size), mtime(st.st_mtim), ctime(st.st_ctim) {}

  bool operator==(const FileVersion& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec &&
           ctime.tv_nsec == o.ctime.tv_nsec;
  }
};

// Whether `st` was last changed long enough ago that any later change moves its ctime.
bool settled(const struct stat& st) {
  auto changed =
      std::chrono::seconds(st.st_ctim.tv_sec) + std::chrono::nanoseconds(st.st_ctim.tv_nsec);
  return std::chrono::system_clock::now().time_since_epoch() - changed > kSettleTime;
}

struct CachedEtag {
  FileVersion version;
  std::string etag;
};

// Writes the content of a new object into `fd`, adding it to `hash`.
using Fill = std::function<Result<void>(int fd, Fnv1a& hash)>;

class FileStore final : public Store {
 public:
  FileStore(std::string dir, UniqueFd root) : dir_(std::move(dir)), root_(std::move(root)) {}

  Result<std::string> get(std::string_view key) override {
    auto object = open(key);
    if (!object) return std::unexpected(object.error());
    std::string data;
    data.reserve(static_cast<std::size_t>(object->st.st_size));
    auto read = store_io::read_chunks(
        object->fd.get(),
        [&](std::string_view chunk) -> Result<void> {
          data.append(chunk);
          return {};
        },
        describe(key));
    if (!read) return std::unexpected(read.error());
    return data;
  }

  Result<void> get_to_file(std::string_view key, const std::filesystem::path& path) override {
    auto object = open(key);
    if (!object) return std::unexpected(object.error());
    return store_io::write_file_atomically(path, [&](int fd) -> Result<void> {
      auto copied = store_io::copy_fd(object->fd.get(), fd, nullptr, "'" + path.string() + "'");
      if (!copied) return std::unexpected(copied.error());
      return {};
    });
  }

  Result<ObjectInfo> put(std::string_view key, std::string_view data) override {
    return write(key, [&](int fd, Fnv1a& hash) {
      hash.update(data);
      return store_io::write_all(fd, data, describe(key));
    });
  }

  Result<ObjectInfo> put_file(std::string_view key, const std::filesystem::path& path) override {
    if (auto r = check_key(key); !r) return std::unexpected(r.error());
    UniqueFd source(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!source.valid())
      return std::unexpected(errno_error(errno, "cannot open '" + path.string() + "'"));
    return write(key, [&](int fd, Fnv1a& hash) -> Result<void> {
      auto copied = store_io::copy_fd(source.get(), fd, &hash, describe(key));
      if (!copied) return std::unexpected(copied.error());
      return {};
    });
  }

  Result<std::vector<ObjectInfo>> list(std::string_view prefix) override {
    std::vector<ObjectInfo> out;
    auto walked =
        file_store::walk(root_.get(), prefix,
                         [&](int dir_fd, const std::string& name, const std::string& key,
                             const struct stat& st) -> Result<void> {
                           auto etag = etag_of(dir_fd, name, key, st);
                           if (!etag) return std::unexpected(etag.error());
                           if (!etag->empty())
                             out.push_back(ObjectInfo{key, size_of(st), mtime_millis(st), *etag});
                           return {};
                         });
    if (!walked) return std::unexpected(walked.error());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    forget_except(prefix, out);
    return out;
  }

  Result<void> remove(std::string_view key) override {
    if (auto r = check_key(key); !r) return r;
    auto segments = file_store::split_key(key);
    auto dirs = file_store::open_dirs(root_.get(), segments, false);
    if (!dirs && dirs.error().code == ErrorCode::kNotFound) return {};
    if (!dirs) return std::unexpected(with_key(dirs.error(), key));
    std::string leaf(segments.back());
    struct stat st {};
    if (::fstatat(dirs->back().get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return {};
      return std::unexpected(errno_error(errno, "cannot remove " + describe(key)));
    }
    if (!S_ISREG(st.st_mode)) return {};  // not an object: leave it alone
    if (::unlinkat(dirs->back().get(), leaf.c_str(), 0) != 0 && errno != ENOENT)
      return std::unexpected(errno_error(errno, "cannot remove " + describe(key)));
    forget(key);
    file_store::prune_empty_dirs(*dirs, segments);
    return {};
  }

  std::string redacted_url() const override { return "file://" + dir_; }

 private:
  std::string describe(std::string_view key) const {
    return "object " + printable_key(key) + " in " + redacted_url();
  }

  Error with_key(const Error& e, std::string_view key) const {
    return Error{e.code, describe(key) + ": " + e.message};
  }

  static std::uint64_t size_of(const struct stat& st) {
    return static_cast<std::uint64_t>(st.st_size);
  }

  Result<file_store::OpenObject> open(std::string_view key) {
    if (auto r = check_key(key); !r) return std::unexpected(r.error());
    auto object = file_store::open_object(root_.get(), key);
    if (!object && object.error().code == ErrorCode::kNotFound)
      return fail(ErrorCode::kNotFound, "no " + describe(key));
    if (!object) return std::unexpected(with_key(object.error(), key));
    return object;
  }

  Result<ObjectInfo> write(std::string_view key, const Fill& fill) {
    if (auto r = check_key(key); !r) return std::unexpected(r.error());
    auto segments = file_store::split_key(key);
    for (int attempt = 1;; ++attempt) {
      auto temp = temp_file_for(segments, key);
      if (!temp && temp.error().code == ErrorCode::kNotFound && attempt < kPutTries) continue;
      if (!temp) return std::unexpected(temp.error());
      return write_into(*temp, key, segments.back(), fill);
    }
  }

  // A new temporary file in the directory of the object, made if missing. kNotFound if a
  // concurrent remove pruned a directory on the way: try again.
  Result<store_io::TempFile> temp_file_for(const std::vector<std::string_view>& segments,
                                           std::string_view key) {
    auto dirs = file_store::open_dirs(root_.get(), segments, true);
    if (!dirs) return std::unexpected(with_key(dirs.error(), key));
    return store_io::TempFile::create(dirs->back().get(), "the directory of " + describe(key));
  }

  Result<ObjectInfo> write_into(store_io::TempFile& temp, std::string_view key,
                                std::string_view leaf, const Fill& fill) {
    Fnv1a hash;
    if (auto r = fill(temp.fd(), hash); !r) return std::unexpected(r.error());
    if (auto r = temp.commit(leaf); !r) return std::unexpected(with_key(r.error(), key));
    struct stat st {};
    if (::fstat(temp.fd(), &st) != 0)
      return std::unexpected(errno_error(errno, "cannot stat " + describe(key)));
    return ObjectInfo{std::string(key), size_of(st), mtime_millis(st), hash.hex()};
  }

  // The etag of the file `name` in `dir_fd` whose lstat is `st`, from the cache or by
  // reading it (then cached if the file has settled). Empty if it vanished meanwhile.
  Result<std::string> etag_of(int dir_fd, const std::string& name, const std::string& key,
                              const struct stat& st) {
    {
      std::lock_guard lock(mu_);
      auto it = etags_.find(key);
      if (it != etags_.end() && it->second.version == FileVersion(st)) return it->second.etag;
    }
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid() && (errno == ENOENT || errno == ELOOP)) return std::string();
    if (!fd.valid()) return std::unexpected(errno_error(errno, "cannot open " + describe(key)));
    Fnv1a hash;
    auto read = store_io::read_chunks(
        fd.get(),
        [&](std::string_view chunk) -> Result<void> {
          hash.update(chunk);
          return {};
        },
        describe(key));
    if (!read) return std::unexpected(read.error());
    std::lock_guard lock(mu_);
    if (settled(st)) etags_.insert_or_assign(key, CachedEtag{FileVersion(st), hash.hex()});
    return hash.hex();
  }

  void forget(std::string_view key) {
    std::lock_guard lock(mu_);
    if (auto it = etags_.find(key); it != etags_.end()) etags_.erase(it);
  }

  // Drops the cached etags under `prefix` of files that `listed` (sorted) does not hold.
  void forget_except(std::string_view prefix, const std::vector<ObjectInfo>& listed) {
    std::lock_guard lock(mu_);
    auto it = etags_.lower_bound(prefix);
    while (it != etags_.end() && it->first.starts_with(prefix)) {
      bool kept =
          std::binary_search(listed.begin(), listed.end(), it->first,
                             [](const auto& a, const auto& b) { return key_of(a) < key_of(b); });
      it = kept ? std::next(it) : etags_.erase(it);
    }
  }

  static std::string_view key_of(const ObjectInfo& info) { return info.key; }
  static std::string_view key_of(const std::string& key) { return key; }

  std::string dir_;
  UniqueFd root_;
  std::mutex mu_;
  std::map<std::string, CachedEtag, std::less<>> etags_;  // by key; guarded by mu_
};

}  // namespace

Result<std::unique_ptr<Store>> open_file_store(std::string_view dir) {
  if (dir.empty())
    return fail(ErrorCode::kInvalid, "file://DIR needs a directory: 'file://' has none");
  std::string path(dir);
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  UniqueFd root(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid() && (errno == ENOTDIR || errno == EEXIST))
    return fail(ErrorCode::kInvalid, "the store directory '" + path + "' is not a directory");
  if (!root.valid())
    return std::unexpected(
        errno_error(ec ? ec.value() : errno, "cannot open the store directory '" + path + "'"));
  return std::make_unique<FileStore>(std::move(path), std::move(root));
}

}  // namespace tandem
