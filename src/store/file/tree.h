// The directory tree behind a file:// store, walked one component at a time relative to
// the store's root descriptor, never following a symbolic link: a key always names a
// regular file under the root, never anything outside it.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/local_io.h"

namespace tandem::file_store {

// The '/'-separated segments of a valid key.
std::vector<std::string_view> split_key(std::string_view key);

// The directories on the way to the object with these segments: [0] is a duplicate of
// `root`, [i] the directory of segments[i-1]; back() is the object's directory.
// With `create`, missing directories are made; kConflict if one is a file, a symlink or
// something else; kNotFound if a directory vanished meanwhile (a concurrent remove pruned
// it: try again). Without `create`, kNotFound if any is missing or not a real directory.
Result<std::vector<store_io::UniqueFd>> open_dirs(int root,
                                                  const std::vector<std::string_view>& segments,
                                                  bool create);

struct OpenObject {
  store_io::UniqueFd fd;  // open for reading
  struct stat st {};
};

// Opens the regular file for `key` (valid). kNotFound if it is missing, or if it or a
// directory on its way is a symbolic link or not a regular file / directory.
Result<OpenObject> open_object(int root, std::string_view key);

// Removes the directories on the way to an object that are now empty, deepest first,
// stopping at the first that is not (never the root).
void prune_empty_dirs(const std::vector<store_io::UniqueFd>& dirs,
                      const std::vector<std::string_view>& segments);

// Called for every object found: `dir_fd` and `name` locate it, `st` is its lstat.
using Visit = std::function<Result<void>(int dir_fd, const std::string& name,
                                         const std::string& key, const struct stat& st)>;

// Visits every regular file under `root` whose key starts with `prefix` and is valid, in
// no particular order. Skips symbolic links, special files and temporary files
// (kReservedKeyPrefix). Fails if a directory cannot be read.
Result<void> walk(int root, std::string_view prefix, const Visit& visit);

}  // namespace tandem::file_store
