#include "store/file/tree.h"

#include <dirent.h>
#include <fcntl.h>

#include <cerrno>
#include <memory>

#include "store/store.h"

namespace tandem::file_store {

namespace {

using store_io::errno_error;
using store_io::UniqueFd;

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Opens (and with `create`, makes) the directory `name` in `parent`.
Result<UniqueFd> open_dir(int parent, const std::string& name, bool create) {
  int fd = ::openat(parent, name.c_str(), kDirFlags);
  if (fd < 0 && errno == ENOENT && create) {
    if (::mkdirat(parent, name.c_str(), 0777) != 0 && errno != EEXIST)
      return std::unexpected(errno_error(errno, "cannot make directory '" + name + "'"));
    fd = ::openat(parent, name.c_str(), kDirFlags);
  }
  if (fd >= 0) return UniqueFd(fd);
  int err = errno;
  bool not_dir = err == ENOTDIR || err == ELOOP;
  if (create && not_dir)
    return fail(ErrorCode::kConflict, "'" + name + "' is an object or a link, not a directory");
  if (not_dir) err = ENOENT;
  return std::unexpected(errno_error(err, "cannot open directory '" + name + "'"));
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

// The entries of the directory `dir_fd` whose names start with `filter`, except ".",
// ".." and temporary files.
Result<std::vector<std::string>> read_names(int dir_fd, std::string_view filter) {
  // A new open file description (not a dup): its own read position, so that concurrent
  // and repeated walks never share one.
  int fd = ::openat(dir_fd, ".", kDirFlags);
  if (fd < 0) return std::unexpected(errno_error(errno, "cannot read a directory"));
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd));
  if (!dir) {
    int err = errno;
    ::close(fd);
    return std::unexpected(errno_error(err, "cannot read a directory"));
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir.get())) {
    std::string_view name = entry->d_name;
    if (name != "." && name != ".." && name.starts_with(filter) &&
        !name.starts_with(kReservedKeyPrefix))
      names.emplace_back(name);
    errno = 0;
  }
  if (errno != 0) return std::unexpected(errno_error(errno, "cannot read a directory"));
  return names;
}

Result<void> walk_dir(int dir_fd, const std::string& base, std::string_view filter,
                      const Visit& visit) {
  auto names = read_names(dir_fd, filter);
  if (!names) return std::unexpected(names.error());
  for (const auto& name : *names) {
    std::string key = base + name;
    struct stat st {};
    if (!check_key(name) || key.size() > kMaxKeyBytes) continue;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // removed meanwhile
      return std::unexpected(errno_error(errno, "cannot stat '" + key + "'"));
    }
    if (S_ISREG(st.st_mode)) {
      if (auto r = visit(dir_fd, name, key, st); !r) return r;
    } else if (S_ISDIR(st.st_mode)) {
      auto sub = open_dir(dir_fd, name, false);
      if (!sub && sub.error().code == ErrorCode::kNotFound) continue;
      if (!sub) return std::unexpected(sub.error());
      if (auto r = walk_dir(sub->get(), key + "/", "", visit); !r) return r;
    }
  }
  return {};
}

}  // namespace

std::vector<std::string_view> split_key(std::string_view key) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(key.substr(start));
      return segments;
    }
    segments.push_back(key.substr(start, slash - start));
    start = slash + 1;
  }
}

Result<std::vector<UniqueFd>> open_dirs(int root, const std::vector<std::string_view>& segments,
                                        bool create) {
  std::vector<UniqueFd> dirs;
  dirs.emplace_back(::fcntl(root, F_DUPFD_CLOEXEC, 0));
  if (!dirs.back().valid()) return std::unexpected(errno_error(errno, "cannot use the root"));
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    auto dir = open_dir(dirs.back().get(), std::string(segments[i]), create);
    if (!dir) return std::unexpected(dir.error());
    dirs.push_back(std::move(*dir));
  }
  return dirs;
}

Result<OpenObject> open_object(int root, std::string_view key) {
  auto segments = split_key(key);
  auto dirs = open_dirs(root, segments, false);
  if (!dirs) return std::unexpected(dirs.error());
  std::string leaf(segments.back());
  OpenObject object;
  int parent = dirs->back().get();
  if (::fstatat(parent, leaf.c_str(), &object.st, AT_SYMLINK_NOFOLLOW) != 0)
    return std::unexpected(errno_error(errno, "cannot stat"));
  if (!S_ISREG(object.st.st_mode)) return fail(ErrorCode::kNotFound, "not a regular file");
  int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  object.fd.reset(::openat(parent, leaf.c_str(), flags));
  if (!object.fd.valid())
    return std::unexpected(errno_error(errno == ELOOP ? ENOENT : errno, "cannot open"));
  if (::fstat(object.fd.get(), &object.st) != 0)
    return std::unexpected(errno_error(errno, "cannot stat"));
  if (!S_ISREG(object.st.st_mode)) return fail(ErrorCode::kNotFound, "not a regular file");
  return object;
}

void prune_empty_dirs(const std::vector<UniqueFd>& dirs,
                      const std::vector<std::string_view>& segments) {
  for (std::size_t i = dirs.size() - 1; i >= 1; --i) {
    std::string name(segments[i - 1]);
    if (::unlinkat(dirs[i - 1].get(), name.c_str(), AT_REMOVEDIR) != 0) return;
  }
}

Result<void> walk(int root, std::string_view prefix, const Visit& visit) {
  std::size_t slash = prefix.rfind('/');
  std::string base =
      slash == std::string_view::npos ? "" : std::string(prefix.substr(0, slash + 1));
  std::string_view filter = prefix.substr(base.size());
  std::vector<std::string_view> segments;
  if (!base.empty()) {
    std::string_view dir_key = prefix.substr(0, slash);
    if (!check_key(dir_key)) return {};  // no valid key starts with it
    segments = split_key(dir_key);
  }
  segments.emplace_back();  // open_dirs opens the directories before the last segment
  auto dirs = open_dirs(root, segments, false);
  if (!dirs && dirs.error().code == ErrorCode::kNotFound) return {};
  if (!dirs) return std::unexpected(dirs.error());
  return walk_dir(dirs->back().get(), base, filter, visit);
}

}  // namespace tandem::file_store
