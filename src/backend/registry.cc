// The scheme table: the one place that knows every backend. Adding a backend is one
// line of kSchemes (and its library in CMakeLists.txt).
#include <array>

#include "backend/backend.h"
#include "backend/memory/memory_backend.h"
#include "backend/sqlite/sqlite_backend.h"
#include "common/scheme_table.h"

namespace tandem {

namespace {

constexpr std::array kSchemes = {
    Scheme<Backend>{"sqlite", "sqlite://PATH", open_sqlite_backend},
    Scheme<Backend>{"memory", "memory://NAME", open_memory_backend},
};

}  // namespace

Result<std::unique_ptr<Backend>> open_backend(std::string_view url) {
  return open_by_scheme<Backend>(kSchemes, "backend", url);
}

}  // namespace tandem
