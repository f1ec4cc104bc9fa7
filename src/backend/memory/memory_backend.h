// The in-process backend: queue and job table in memory, for tests and simulations.
#pragma once

#include <memory>
#include <string_view>

#include "backend/backend.h"

namespace tandem {

// Opens the in-memory store called `name` ("memory://NAME"). Every Backend opened with
// the same name in this process shares one store, which lives until the process ends;
// nothing is written to disk. The store is thread-safe; each Backend is not (open one
// per thread). kInvalid if `name` is empty.
Result<std::unique_ptr<Backend>> open_memory_backend(std::string_view name);

}  // namespace tandem
