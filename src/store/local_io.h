// Local file helpers shared by the stores: errno as Error, whole-file
// reads and writes, the etag hash, and temporary files renamed into place.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace tandem::store_io {

using tandem::UniqueFd;

// `what` ("cannot open 'x'") with the system's reason for `err`, coded for the caller:
// kNotFound (ENOENT, ENOTDIR), kInvalid (permission, read-only, name too long),
// kUnavailable (out of space, descriptors or memory; I/O error; busy), else kInternal.
Error errno_error(int err, std::string what);

// The 64-bit FNV-1a hash of a byte stream; hex() is the etag of memory:// and file://.
class Fnv1a {
 public:
  void update(std::string_view bytes);
  std::string hex() const;  // 16 lowercase hex digits

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

// Writes all of `data` to `fd` (retrying short writes and EINTR). `what` names the file.
Result<void> write_all(int fd, std::string_view data, std::string_view what);

// Reads `fd` to its end in chunks, passing each to `sink` (stops at the sink's first
// error). Returns the number of bytes read. `what` names the file.
Result<std::uint64_t> read_chunks(int fd, const std::function<Result<void>(std::string_view)>& sink,
                                  std::string_view what);

// Copies `in` to its end into `out`, adding every byte to `hash` if not null.
Result<std::uint64_t> copy_fd(int in, int out, Fnv1a* hash, std::string_view what);

// A new, empty file named kReservedKeyPrefix + random hex in the directory `dir_fd`,
// mode 0666 less the umask. commit() renames it over its final name; if never committed
// it is removed when the TempFile goes away.
class TempFile {
 public:
  // `dir_fd` is duplicated: the caller keeps its own. `what` names the directory.
  static Result<TempFile> create(int dir_fd, std::string what);

  TempFile(TempFile&&) = default;
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile();

  int fd() const { return fd_.get(); }

  // Flushes the data to disk, then renames the file to `name` in its directory,
  // atomically replacing any file there. The descriptor stays open (fstat it for the
  // final metadata).
  Result<void> commit(std::string_view name);

 private:
  TempFile(UniqueFd dir, UniqueFd fd, std::string name, std::string what);

  UniqueFd dir_;
  UniqueFd fd_;
  std::string name_;  // empty once committed
  std::string what_;
};

// Writes the local file `path` atomically: `fill` writes the content into a TempFile in
// the same directory (which must exist), which then replaces `path`. On error `path` is
// left as it was.
Result<void> write_file_atomically(const std::filesystem::path& path,
                                   const std::function<Result<void>(int fd)>& fill);

}  // namespace tandem::store_io
