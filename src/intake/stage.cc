#include "intake/stage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "common/unique_fd.h"
#include "store/local_io.h"

namespace tandem {

namespace {

using store_io::errno_error;

// A path that reaches `leaf` in the open directory `dir_fd` without resolving any
// directory by name: /proc/self/fd/N is the directory itself, wherever it is.
std::string via_fd(int dir_fd, std::string_view leaf) {
  return "/proc/self/fd/" + std::to_string(dir_fd) + "/" + std::string(leaf);
}

Error staging_error(ErrorCode code, std::string_view key, const std::string& why) {
  return Error{code, "cannot stage " + printable_key(key) + ": " + why};
}

// Size and FNV-1a hash of what `fd` holds from its current offset to its end.
Result<StagedFile> fingerprint(int fd, std::string_view what) {
  store_io::Fnv1a hash;
  auto size = store_io::read_chunks(
      fd,
      [&hash](std::string_view bytes) -> Result<void> {
        hash.update(bytes);
        return {};
      },
      what);
  if (!size) return std::unexpected(size.error());
  return StagedFile{*size, hash.hex()};
}

// The '/'-separated segments of `rel`; kInvalid for an absolute path or an empty, "." or
// ".." segment (a well-formed key has none; a store could still list one).
Result<std::vector<std::string>> segments_of(std::string_view key, std::string_view rel) {
  if (rel.starts_with('/'))
    return std::unexpected(staging_error(ErrorCode::kInvalid, key, "its path is absolute"));
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto end = std::min(rel.find('/', start), rel.size());
    std::string segment(rel.substr(start, end - start));
    if (segment.empty() || segment == "." || segment == "..")
      return std::unexpected(staging_error(ErrorCode::kInvalid, key,
                                           "its path below the job folder has an empty, '.' "
                                           "or '..' segment"));
    out.push_back(std::move(segment));
    if (end == rel.size()) return out;
    start = end + 1;
  }
}

// The subdirectory `name` of `dir_fd`, made if missing, opened without following a link.
Result<UniqueFd> enter_dir(int dir_fd, const std::string& name, std::string_view key) {
  if (mkdirat(dir_fd, name.c_str(), 0777) != 0 && errno != EEXIST)
    return std::unexpected(
        staging_error(ErrorCode::kUnavailable, key, errno_error(errno, "mkdir").message));
  UniqueFd sub(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (sub.valid()) return sub;
  if (errno == ELOOP || errno == ENOTDIR)
    return std::unexpected(staging_error(ErrorCode::kInvalid, key,
                                         "its path passes through '" + name +
                                             "', which is a "
                                             "symbolic link or a file, not a directory"));
  return std::unexpected(
      staging_error(ErrorCode::kUnavailable, key, errno_error(errno, "open").message));
}

// Downloads `key` to `rel` below `root_fd`; returns what it wrote.
Result<StagedFile> download_one(Store& store, std::string_view key, std::string_view rel,
                                int root_fd) {
  auto segments = segments_of(key, rel);
  if (!segments) return std::unexpected(segments.error());
  UniqueFd owned;
  int dir_fd = root_fd;
  for (std::size_t i = 0; i + 1 < segments->size(); ++i) {
    auto sub = enter_dir(dir_fd, (*segments)[i], key);
    if (!sub) return std::unexpected(sub.error());
    owned = std::move(*sub);
    dir_fd = owned.get();
  }
  const std::string& leaf = segments->back();
  struct stat st {};
  if (fstatat(dir_fd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
    return std::unexpected(staging_error(ErrorCode::kInvalid, key,
                                         "its file would replace a symbolic link or a directory"));
  if (auto got = store.get_to_file(key, via_fd(dir_fd, leaf)); !got)
    return std::unexpected(staging_error(got.error().code, key, got.error().message));
  UniqueFd file(openat(dir_fd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!file.valid())
    return std::unexpected(
        staging_error(ErrorCode::kInternal, key, errno_error(errno, "reopen").message));
  return fingerprint(file.get(), rel);
}

// The names in the directory `dir_fd`, sorted, without "." and "..".
Result<std::vector<std::string>> names_in(int dir_fd, const std::string& what) {
  const int copy = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return std::unexpected(errno_error(errno, "cannot read " + what));
  std::unique_ptr<DIR, int (*)(DIR*)> dir(fdopendir(copy), closedir);
  if (!dir) {
    const int err = errno;
    close(copy);
    return std::unexpected(errno_error(err, "cannot read " + what));
  }
  rewinddir(dir.get());
  std::vector<std::string> names;
  while (const dirent* entry = readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Walks the working directory after the run and uploads what changed.
class Uploader {
 public:
  Uploader(Store& store, const StagedJob& job, const Manifest& downloaded,
           const std::function<void(const std::string&)>& on_upload)
      : store_(store), job_(job), downloaded_(downloaded), on_upload_(on_upload) {}

  // Visits the directory `dir_fd`, whose path below the working directory is `rel_dir`.
  Result<void> walk(int dir_fd, const std::string& rel_dir) {
    auto names = names_in(dir_fd, rel_dir.empty() ? "the working directory" : "'" + rel_dir + "'");
    if (!names) return std::unexpected(names.error());
    for (const auto& name : *names) {
      const std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
      struct stat st {};
      if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
      if (S_ISDIR(st.st_mode)) {
        if (auto r = enter(dir_fd, name, rel); !r) return r;
      } else if (S_ISLNK(st.st_mode)) {
        skip(rel, "a symbolic link");
      } else if (!S_ISREG(st.st_mode)) {
        skip(rel, "not a regular file");
      } else {
        visit_file(dir_fd, name, rel);
      }
    }
    return {};
  }

  UploadReport take_report() { return std::move(report_); }

 private:
  Result<void> enter(int dir_fd, const std::string& name, const std::string& rel) {
    if (job_.folder.size() + 1 + rel.size() > kMaxKeyBytes) {
      skip(rel + "/", "too long a path for an object key");
      return {};
    }
    UniqueFd sub(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.valid()) {
      skip(rel + "/", errno_error(errno, "cannot open it").message);
      return {};
    }
    return walk(sub.get(), rel);
  }

  void visit_file(int dir_fd, const std::string& name, const std::string& rel) {
    if (rel == job_.name) return skip(rel, "the executable itself");
    if (name.ends_with(job_.suffix))
      return skip(rel, "its name ends with the trigger suffix '" + job_.suffix +
                           "': uploading it would start a new job");
    const std::string key = job_.folder + "/" + rel;
    if (auto ok = check_key(key); !ok) return skip(rel, ok.error().message);
    UniqueFd file(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (!file.valid() || fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode))
      return skip(rel, "not a regular file any more");
    auto now = fingerprint(file.get(), rel);
    if (!now) return fail_upload(key, now.error());
    const auto before = downloaded_.find(rel);
    if (before != downloaded_.end() && before->second.size == now->size &&
        before->second.hash == now->hash)
      return;  // unchanged input
    // Through the descriptor: the file uploaded is the one checked above.
    auto put = store_.put_file(key, "/proc/self/fd/" + std::to_string(file.get()));
    if (!put) return fail_upload(key, put.error());
    report_.uploaded.push_back(key);
    on_upload_(key);
  }

  void skip(const std::string& rel, const std::string& why) {
    report_.skipped.push_back("'" + rel + "': " + why);
  }
  void fail_upload(const std::string& key, const Error& e) {
    report_.failed.push_back(printable_key(key) + ": " + e.to_string());
  }

  Store& store_;
  const StagedJob& job_;
  const Manifest& downloaded_;
  const std::function<void(const std::string&)>& on_upload_;
  UploadReport report_;
};

}  // namespace

Result<StagedJob> staged_job(std::string_view key, std::string_view suffix) {
  if (auto ok = check_key(key); !ok) return std::unexpected(ok.error());
  if (suffix.empty()) return fail(ErrorCode::kInvalid, "the trigger suffix is empty");
  const auto slash = key.rfind('/');
  if (slash == std::string_view::npos)
    return std::unexpected(staging_error(ErrorCode::kInvalid, key, "it has no folder"));
  return StagedJob{std::string(key), std::string(key.substr(0, slash)),
                   std::string(key.substr(slash + 1)), std::string(suffix)};
}

Result<Manifest> download_folder(Store& store, const StagedJob& job, int dir_fd) {
  const std::string prefix = job.folder + "/";
  auto objects = store.list(prefix);
  if (!objects) return std::unexpected(objects.error());
  const bool present = std::any_of(objects->begin(), objects->end(),
                                   [&](const ObjectInfo& o) { return o.key == job.key; });
  if (!present)
    return std::unexpected(
        staging_error(ErrorCode::kNotFound, job.key, "the executable is not in the store"));
  Manifest manifest;
  for (const auto& object : *objects) {
    const std::string_view rel = std::string_view(object.key).substr(prefix.size());
    auto file = download_one(store, object.key, rel, dir_fd);
    if (!file) return std::unexpected(file.error());
    manifest.insert_or_assign(std::string(rel), std::move(*file));
  }
  return manifest;
}

Result<void> make_executable(const StagedJob& job, int dir_fd) {
  UniqueFd file(openat(dir_fd, job.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!file.valid() || fstat(file.get(), &st) != 0)
    return std::unexpected(
        staging_error(ErrorCode::kInternal, job.key, errno_error(errno, "open").message));
  if (fchmod(file.get(), (st.st_mode & 07777) | 0111) != 0)
    return std::unexpected(
        staging_error(ErrorCode::kInternal, job.key, errno_error(errno, "chmod").message));
  return {};
}

Result<UploadReport> upload_changes(Store& store, const StagedJob& job, int dir_fd,
                                    const Manifest& downloaded,
                                    const std::function<void(const std::string&)>& on_upload) {
  Uploader uploader(store, job, downloaded, on_upload);
  if (auto walked = uploader.walk(dir_fd, ""); !walked) return std::unexpected(walked.error());
  return uploader.take_report();
}

}  // namespace tandem
