#include "backend/events.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace tandem {

namespace {

constexpr std::array kStreams = {Stream::kFinished, Stream::kFailed};

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::string_view to_string(Stream s) {
  switch (s) {
    case Stream::kFinished: return "finished";
    case Stream::kFailed: return "failed";
  }
  return "unknown";
}

std::optional<Stream> parse_stream(std::string_view text) {
  for (Stream s : kStreams)
    if (iequals(text, to_string(s))) return s;
  return std::nullopt;
}

Stream stream_of(Status final_status) {
  return final_status == Status::kSucceeded ? Stream::kFinished : Stream::kFailed;
}

}  // namespace tandem
