#include "backend/memory/memory_backend.h"

#include <filesystem>
#include <map>

#include "backend/memory/memory_events.h"
#include "backend/memory/memory_queue.h"
#include "backend/memory/memory_store.h"
#include "backend/memory/memory_table.h"
#include "backend/memory/memory_workers.h"

namespace tandem {

namespace {

// `name` with every character that is not safe in a file name replaced by '_'.
std::string file_safe(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.';
    if (!safe) c = '_';
  }
  return out;
}

class MemoryBackend final : public Backend {
 public:
  MemoryBackend(std::string name, std::shared_ptr<memory::Store> store)
      : name_(std::move(name)),
        store_(std::move(store)),
        table_(store_),
        events_(store_),
        workers_(store_) {}

  Result<Queue*> queue(std::string_view name) override {
    if (name.empty()) return fail(ErrorCode::kInvalid, "a queue name must not be empty");
    auto it = queues_.find(name);
    if (it != queues_.end()) return it->second.get();
    memory::QueueState* state = nullptr;
    {
      std::lock_guard lock(store_->mu);
      state = &store_->queues[std::string(name)];
    }
    auto q = std::make_unique<memory::MemoryQueue>(store_, state, std::string(name));
    return queues_.emplace(std::string(name), std::move(q)).first->second.get();
  }

  JobTable& table() override { return table_; }
  EventLog& events() override { return events_; }
  WorkerRegistry& workers() override { return workers_; }

  std::string state_dir() const override {
    std::error_code ec;
    std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
    if (ec) tmp = "/tmp";
    return (tmp / ("tandem-memory-" + file_safe(name_))).string();
  }

  std::string redacted_url() const override { return "memory://" + name_; }

 private:
  std::string name_;
  std::shared_ptr<memory::Store> store_;
  memory::MemoryTable table_;
  memory::MemoryEvents events_;
  memory::MemoryWorkers workers_;
  std::map<std::string, std::unique_ptr<memory::MemoryQueue>, std::less<>> queues_;
};

}  // namespace

Result<std::unique_ptr<Backend>> open_memory_backend(std::string_view name) {
  if (name.empty()) return fail(ErrorCode::kInvalid, "memory:// needs a name, e.g. memory://test");
  return std::make_unique<MemoryBackend>(std::string(name), memory::store_named(name));
}

}  // namespace tandem
