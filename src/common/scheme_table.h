// Opening an implementation from a URL through a table keyed by the URL's scheme (the
// backends' and the stores' registries). An unknown scheme is a clear kInvalid error
// that lists the known ones, with any password in the URL redacted.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/url.h"

namespace tandem {

template <class T>
struct Scheme {
  std::string_view name;   // before "://"
  std::string_view usage;  // shown in errors, e.g. "sqlite://PATH"
  Result<std::unique_ptr<T>> (*open)(std::string_view rest);  // gets what follows "://"
};

// `what` names the kind in errors: "backend", "store".
template <class T>
Result<std::unique_ptr<T>> open_by_scheme(std::span<const Scheme<T>> schemes,
                                          std::string_view what, std::string_view url) {
  std::string known;
  for (const auto& s : schemes) known += (known.empty() ? "" : ", ") + std::string(s.usage);
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return fail(ErrorCode::kInvalid, "missing " + std::string(what) + " scheme in URL '" +
                                         redact_password(url) + "'; known: " + known);
  auto scheme = url.substr(0, sep);
  for (const auto& s : schemes)
    if (s.name == scheme) return s.open(url.substr(sep + 3));
  return fail(ErrorCode::kInvalid, "unknown " + std::string(what) + " scheme '" +
                                       std::string(scheme) + "' in URL '" + redact_password(url) +
                                       "'; known: " + known);
}

}  // namespace tandem
