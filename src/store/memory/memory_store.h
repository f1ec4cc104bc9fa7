// The in-process object store: objects in memory, for tests and simulations.
#pragma once

#include <memory>
#include <string_view>

#include "store/store.h"

namespace tandem {

// Opens the in-memory object store called `name` ("memory://NAME"). Every Store opened
// with the same name in this process shares its objects, which live until the process
// ends; nothing is written to disk. Thread-safe. kInvalid if `name` is empty.
Result<std::unique_ptr<Store>> open_memory_store(std::string_view name);

}  // namespace tandem
