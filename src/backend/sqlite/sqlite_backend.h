// The embedded default backend: queue and job table in one SQLite file (WAL mode).
#pragma once

#include <memory>
#include <string_view>

#include "backend/backend.h"

namespace tandem {

// Opens "sqlite://PATH": `path` is relative to the current directory, or absolute as in
// sqlite:///abs/path.db. Creates the parent directories and the database on first use.
// Each Backend holds one connection; any number of them, in any processes on one host,
// may share the file (not over a network file system). Commits survive any process crash;
// an OS crash or power loss may lose the last ones (synchronous=NORMAL).
// kInvalid if `path` is empty or the file was written by a newer tandem; kUnavailable if
// the file cannot be created or opened.
Result<std::unique_ptr<Backend>> open_sqlite_backend(std::string_view path);

}  // namespace tandem
