// check_key and printable_key: the one definition of a valid object key.
#include <cstdio>

#include "store/store.h"

namespace tandem {

namespace {

constexpr std::size_t kShownKeyBytes = 64;

// The length of the UTF-8 sequence at s[i], with its code point in `cp`; 0 if the bytes
// there are not valid UTF-8 (truncated, overlong, a surrogate, past U+10FFFF).
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
  auto byte = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  char32_t min = 0;
  if (byte < 0x80) {
    cp = byte;
    return 1;
  } else if ((byte & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = byte & 0x1Fu;
  } else if ((byte & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = byte & 0x0Fu;
  } else if ((byte & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = byte & 0x07u;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    auto next = static_cast<unsigned char>(s[i + k]);
    if ((next & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

std::string hex_byte(char c) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
  return buf;
}

Result<void> refuse(std::string_view key, std::string_view rule) {
  return fail(ErrorCode::kInvalid,
              "invalid object key " + printable_key(key) + ": " + std::string(rule));
}

// The encoding rules: valid UTF-8, no control character.
Result<void> check_characters(std::string_view key) {
  for (std::size_t i = 0; i < key.size();) {
    char32_t cp = 0;
    std::size_t len = decode_utf8(key, i, cp);
    if (len == 0)
      return refuse(key,
                    "not valid UTF-8 at byte " + std::to_string(i) + " (" + hex_byte(key[i]) + ")");
    if (is_control(cp))
      return refuse(key,
                    "a control character at byte " + std::to_string(i) + " (not allowed in a key)");
    i += len;
  }
  return {};
}

Result<void> check_segment(std::string_view key, std::string_view segment) {
  if (segment.empty())
    return refuse(key, "an empty segment (no leading or trailing '/', no \"//\")");
  if (segment == "." || segment == "..")
    return refuse(key, "a \"" + std::string(segment) + "\" segment (not allowed in a key)");
  if (segment.starts_with(kReservedKeyPrefix))
    return refuse(key, "a segment starting with \"" + std::string(kReservedKeyPrefix) +
                           "\" (reserved for temporary files)");
  return {};
}

}  // namespace

std::string printable_key(std::string_view key) {
  std::string out = "'";
  std::size_t i = 0;
  while (i < key.size() && i < kShownKeyBytes) {
    char32_t cp = 0;
    std::size_t len = decode_utf8(key, i, cp);
    if (len == 0 || is_control(cp)) {
      out += hex_byte(key[i]);
      ++i;
      continue;
    }
    if (key[i] == '\'' || key[i] == '\\') out += '\\';
    out.append(key.substr(i, len));
    i += len;
  }
  out += '\'';
  if (i < key.size()) out += "... (" + std::to_string(key.size()) + " bytes)";
  return out;
}

Result<void> check_key(std::string_view key) {
  if (key.empty()) return fail(ErrorCode::kInvalid, "invalid object key '': must not be empty");
  if (key.size() > kMaxKeyBytes)
    return refuse(key, std::to_string(key.size()) + " bytes, longer than the limit of " +
                           std::to_string(kMaxKeyBytes));
  if (auto r = check_characters(key); !r) return r;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = key.find('/', start);
    std::size_t end = slash == std::string_view::npos ? key.size() : slash;
    if (auto r = check_segment(key, key.substr(start, end - start)); !r) return r;
    if (slash == std::string_view::npos) return {};
    start = slash + 1;
  }
}

}  // namespace tandem
