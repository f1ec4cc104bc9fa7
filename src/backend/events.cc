#include "backend/events.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "common/text.h"

namespace tandem {

namespace {

constexpr std::array kStreams = {Stream::kFinished, Stream::kFailed};

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
