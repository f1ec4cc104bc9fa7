// URLs as tandem logs them: never with a password.
#pragma once

#include <string>
#include <string_view>

namespace tandem {

// "x://user:secret@host/..." -> "x://user:***@host/..."; other URLs unchanged.
std::string redact_password(std::string_view url);

}  // namespace tandem
