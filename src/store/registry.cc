// The scheme table: the one place that knows every store. Adding a store is one line of
// kSchemes (and its library in CMakeLists.txt).
#include <array>

#include "common/scheme_table.h"
#include "store/file/file_store.h"
#include "store/memory/memory_store.h"
#include "store/store.h"

namespace tandem {

namespace {

constexpr std::array kSchemes = {
    Scheme<Store>{"file", "file://DIR", open_file_store},
    Scheme<Store>{"memory", "memory://NAME", open_memory_store},
};

}  // namespace

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  return open_by_scheme<Store>(kSchemes, "store", url);
}

}  // namespace tandem
