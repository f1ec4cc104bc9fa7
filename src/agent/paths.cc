#include "agent/paths.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>

namespace tandem::agent {

namespace {

constexpr std::size_t kMaxReadable = 80;

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string absolute(const std::string& p) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  return ec ? p : abs.lexically_normal().string();
}

}  // namespace

std::string safe_name(std::string_view job_id) {
  std::string out;
  for (unsigned char c : job_id) {
    if (out.size() >= kMaxReadable) break;
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || (c == '.' && !out.empty());
    out += plain ? static_cast<char>(c) : '_';
  }
  char hash[24];
  std::snprintf(hash, sizeof hash, "-%016llx", static_cast<unsigned long long>(fnv1a(job_id)));
  return out + hash;
}

std::string log_path(const std::string& state_dir, std::string_view job_id, int attempt) {
  return absolute(state_dir + "/logs/" + safe_name(job_id) + "." + std::to_string(attempt) +
                  ".log");
}

namespace {

// <state_dir>/work/<name>
std::string in_work_dir(const std::string& state_dir, const std::string& name) {
  return absolute((std::filesystem::path(state_dir) / "work" / name).string());
}

}  // namespace

std::string work_path(const std::string& state_dir, std::string_view job_id, int attempt,
                      int slot) {
  return in_work_dir(state_dir, safe_name(job_id) + "." + std::to_string(attempt) + "." +
                                    std::to_string(getpid()) + "." + std::to_string(slot));
}

std::string slot_work_path(const std::string& state_dir, int slot) {
  return in_work_dir(state_dir, "slot." + std::to_string(getpid()) + "." + std::to_string(slot));
}

}  // namespace tandem::agent
