// The file handling of a staged job on its worker (`tandem stage-run`): the job's folder
// is downloaded from the store into the working directory, and what the executable made
// or changed there is uploaded back beside the inputs.
//
// Every local path is reached through directory descriptors opened with O_NOFOLLOW,
// relative to the working directory: a symbolic link is never followed, neither when
// writing inputs nor when reading results.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "store/store.h"

namespace tandem {

// The staged job, from its executable's key.
struct StagedJob {
  std::string key;     // the executable's key (= the job_id)
  std::string folder;  // the key up to its last '/'
  std::string name;    // the executable's file name
  std::string suffix;  // the trigger suffix: results ending in it are not uploaded
};

// kInvalid (naming the key) if `key` fails check_key or has no folder, or `suffix` is empty.
Result<StagedJob> staged_job(std::string_view key, std::string_view suffix);

// What was downloaded, by path relative to the working directory.
struct StagedFile {
  std::uint64_t size = 0;
  std::string hash;  // 64-bit FNV-1a of the content, in hex
};
using Manifest = std::map<std::string, StagedFile, std::less<>>;

// Downloads every object under folder + "/" into the directory `dir_fd` at its relative
// path, making subdirectories. kInvalid, naming the key and why, for a relative path with
// an empty, "." or ".." segment, or one that would pass through (or land on) a symbolic
// link or an existing file of another kind; kNotFound if the executable is not among the
// objects; the store's error otherwise. Files written before an error stay.
Result<Manifest> download_folder(Store& store, const StagedJob& job, int dir_fd);

// Makes the executable, already downloaded into `dir_fd`, executable (adds u+x, g+x, o+x).
Result<void> make_executable(const StagedJob& job, int dir_fd);

struct UploadReport {
  std::vector<std::string> uploaded;  // keys written
  std::vector<std::string> skipped;   // one line each: the path and why it stays local
  std::vector<std::string> failed;    // one line each: the key and the store's error
};

// Uploads every regular file under `dir_fd` that is not in `downloaded` or differs from
// it (size or content) to folder + "/" + its relative path. Stays local (in `skipped`):
// symbolic links, special files, files whose name ends with the suffix (they would
// trigger new jobs), the executable, and paths that are no valid key. `on_upload` is
// called with each key as soon as it is written. Fails only if the directory cannot be
// read; a file that cannot be uploaded goes in `failed` and the others still go.
Result<UploadReport> upload_changes(Store& store, const StagedJob& job, int dir_fd,
                                    const Manifest& downloaded,
                                    const std::function<void(const std::string&)>& on_upload);

}  // namespace tandem
