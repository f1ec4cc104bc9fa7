#include "store/local_io.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <system_error>
#include <thread>
#include <vector>

#include "store/store.h"

namespace tandem::store_io {

namespace {

constexpr std::size_t kChunkBytes = 1 << 20;
constexpr int kTempNameTries = 16;

ErrorCode code_for(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR: return ErrorCode::kNotFound;
    case EACCES:
    case EPERM:
    case EROFS:
    case ENAMETOOLONG: return ErrorCode::kInvalid;
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case EIO:
    case EAGAIN:
    case EBUSY: return ErrorCode::kUnavailable;
    default: return ErrorCode::kInternal;
  }
}

// kReservedKeyPrefix and 16 random hex digits.
std::string temp_name() {
  thread_local std::mt19937_64 random{std::random_device{}() ^
                                      std::hash<std::thread::id>{}(std::this_thread::get_id())};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(random()));
  return std::string(kReservedKeyPrefix) + buf;
}

}  // namespace

Error errno_error(int err, std::string what) {
  return Error{code_for(err), std::move(what) + ": " + std::generic_category().message(err)};
}

void Fnv1a::update(std::string_view bytes) {
  for (char c : bytes) {
    hash_ ^= static_cast<unsigned char>(c);
    hash_ *= 0x100000001b3ULL;
  }
}

std::string Fnv1a::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash_));
  return buf;
}

Result<void> write_all(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(errno_error(errno, "cannot write " + std::string(what)));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::uint64_t> read_chunks(int fd, const std::function<Result<void>(std::string_view)>& sink,
                                  std::string_view what) {
  std::vector<char> buf(kChunkBytes);
  std::uint64_t total = 0;
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(errno_error(errno, "cannot read " + std::string(what)));
    if (n == 0) return total;
    total += static_cast<std::uint64_t>(n);
    if (auto r = sink(std::string_view(buf.data(), static_cast<std::size_t>(n))); !r)
      return std::unexpected(r.error());
  }
}

Result<std::uint64_t> copy_fd(int in, int out, Fnv1a* hash, std::string_view what) {
  return read_chunks(
      in,
      [&](std::string_view chunk) -> Result<void> {
        if (hash) hash->update(chunk);
        return write_all(out, chunk, what);
      },
      what);
}

TempFile::TempFile(UniqueFd dir, UniqueFd fd, std::string name, std::string what)
    : dir_(std::move(dir)), fd_(std::move(fd)), name_(std::move(name)), what_(std::move(what)) {}

Result<TempFile> TempFile::create(int dir_fd, std::string what) {
  UniqueFd dir(::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
  if (!dir.valid()) return std::unexpected(errno_error(errno, "cannot use " + what));
  for (int i = 0; i < kTempNameTries; ++i) {
    std::string name = temp_name();
    int fd = ::openat(dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                      0666);
    if (fd >= 0) return TempFile(std::move(dir), UniqueFd(fd), std::move(name), std::move(what));
    if (errno != EEXIST)
      return std::unexpected(errno_error(errno, "cannot create a temporary file in " + what));
  }
  return fail(ErrorCode::kInternal,
              "cannot create a temporary file in " + what + ": every random name was taken");
}

TempFile::~TempFile() {
  if (dir_.valid() && !name_.empty()) ::unlinkat(dir_.get(), name_.c_str(), 0);
}

Result<void> TempFile::commit(std::string_view name) {
  if (::fdatasync(fd_.get()) != 0)
    return std::unexpected(errno_error(errno, "cannot flush a temporary file in " + what_));
  std::string final_name(name);
  if (::renameat(dir_.get(), name_.c_str(), dir_.get(), final_name.c_str()) != 0) {
    int err = errno;
    if (err == EISDIR || err == ENOTEMPTY || err == EEXIST)
      return fail(ErrorCode::kConflict,
                  "cannot replace '" + final_name + "' in " + what_ + ": it is a directory");
    return std::unexpected(errno_error(err, "cannot rename a temporary file in " + what_));
  }
  name_.clear();
  return {};
}

Result<void> write_file_atomically(const std::filesystem::path& path,
                                   const std::function<Result<void>(int fd)>& fill) {
  if (path.filename().empty())
    return fail(ErrorCode::kInvalid, "'" + path.string() + "' does not name a file");
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::string what = "'" + dir.string() + "'";
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return std::unexpected(errno_error(errno, "cannot open directory " + what));
  auto temp = TempFile::create(dir_fd.get(), what);
  if (!temp) return std::unexpected(temp.error());
  if (auto r = fill(temp->fd()); !r) return r;
  return temp->commit(path.filename().string());
}

}  // namespace tandem::store_io
