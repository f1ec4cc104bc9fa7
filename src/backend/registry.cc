// The scheme table: the one place that knows every backend. Adding a backend is one
// line of kSchemes (and its library in CMakeLists.txt).
#include <array>
#include <string>

#include "backend/backend.h"
#include "backend/memory/memory_backend.h"
#include "backend/sqlite/sqlite_backend.h"
#include "common/url.h"

namespace tandem {

namespace {

using Opener = Result<std::unique_ptr<Backend>> (*)(std::string_view rest);

struct Scheme {
  std::string_view name;   // before "://"
  std::string_view usage;  // shown in errors
  Opener open;             // gets what follows "://"
};

constexpr std::array kSchemes = {
    Scheme{"sqlite", "sqlite://PATH", open_sqlite_backend},
    Scheme{"memory", "memory://NAME", open_memory_backend},
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

Result<std::unique_ptr<Backend>> open_backend(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return fail(ErrorCode::kInvalid, "missing backend scheme in URL '" + redact_password(url) +
                                         "'; known: " + known_schemes());
  auto scheme = url.substr(0, sep);
  for (const auto& s : kSchemes)
    if (s.name == scheme) return s.open(url.substr(sep + 3));
  return fail(ErrorCode::kInvalid, "unknown backend scheme '" + std::string(scheme) + "' in URL '" +
                                       redact_password(url) + "'; known: " + known_schemes());
}

}  // namespace tandem
