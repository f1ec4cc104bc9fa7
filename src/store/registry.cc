// The scheme table: the one place that knows every store. Adding a store is one line of
// kSchemes (and its library in CMakeLists.txt).
#include <array>
#include <string>

#include "common/url.h"
#include "store/file/file_store.h"
#include "store/memory/memory_store.h"
#include "store/store.h"

namespace tandem {

namespace {

using Opener = Result<std::unique_ptr<Store>> (*)(std::string_view rest);

struct Scheme {
  std::string_view name;   // before "://"
  std::string_view usage;  // shown in errors
  Opener open;             // gets what follows "://"
};

constexpr std::array kSchemes = {
    Scheme{"file", "file://DIR", open_file_store},
    Scheme{"memory", "memory://NAME", open_memory_store},
};

std::string known_schemes() {
  std::string out;
  for (const auto& s : kSchemes) {
    if (!out.empty()) out += ", ";
    out += s.usage;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return fail(ErrorCode::kInvalid, "missing store scheme in URL '" + redact_password(url) +
                                         "'; known: " + known_schemes());
  auto scheme = url.substr(0, sep);
  for (const auto& s : kSchemes)
    if (s.name == scheme) return s.open(url.substr(sep + 3));
  return fail(ErrorCode::kInvalid, "unknown store scheme '" + std::string(scheme) + "' in URL '" +
                                       redact_password(url) + "'; known: " + known_schemes());
}

}  // namespace tandem
