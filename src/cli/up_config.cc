#include "cli/up_config.h"

#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>

namespace tandem::cli {

namespace {

// Collects the problems of one file, each with where it is.
class Checker {
 public:
  explicit Checker(std::string path) : path_(std::move(path)) {}

  void problem(const std::string& where, const std::string& what) {
    problems_.push_back(path_ + ": " + where + ": " + what);
  }

  // Refuses keys of `table` not in `known`.
  void only(const toml::table& table, const std::string& where, std::set<std::string> known) {
    for (const auto& [key, value] : table)
      if (!known.contains(std::string(key.str())))
        problem(where.empty() ? std::string(key.str()) : where + "." + std::string(key.str()),
                "unknown key");
  }

  template <class T>
  void get(const toml::table& table, const std::string& where, const char* key, T& out) {
    const toml::node* node = table.get(key);
    if (!node) return;
    if constexpr (std::is_same_v<T, double>) {
      if (auto v = node->value<double>())
        out = *v;
      else
        problem(name(where, key), "must be a number");
    } else if constexpr (std::is_same_v<T, int>) {
      if (auto v = node->value<std::int64_t>(); v && *v >= 0 && *v <= 100000)
        out = static_cast<int>(*v);
      else
        problem(name(where, key), "must be a whole number from 0 to 100000");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto v = node->value<bool>())
        out = *v;
      else
        problem(name(where, key), "must be true or false");
    } else {
      if (auto v = node->value<std::string>())
        out = *v;
      else
        problem(name(where, key), "must be a string");
    }
  }

  Result<void> result() const {
    if (problems_.empty()) return {};
    std::string msg;
    for (const auto& p : problems_) msg += (msg.empty() ? "" : "\n") + p;
    return fail(ErrorCode::kInvalid, msg);
  }

 private:
  static std::string name(const std::string& where, const char* key) {
    return where.empty() ? key : where + "." + key;
  }
  std::string path_;
  std::vector<std::string> problems_;
};

void read_tiers(const toml::table& root, Checker& c, UpConfig& config) {
  const toml::array* tiers = root["tier"].as_array();
  if (!tiers) return;
  std::set<std::string> names;
  for (std::size_t i = 0; i < tiers->size(); ++i) {
    std::string where = "tier[" + std::to_string(i + 1) + "]";
    const toml::table* t = (*tiers)[i].as_table();
    if (!t) {
      c.problem(where, "must be a table ([[tier]])");
      continue;
    }
    c.only(*t, where,
           {"name", "min", "max", "price", "interruptible", "interruption_rate",
            "interruption_grace"});
    TierConfig tc;
    c.get(*t, where, "name", tc.tier.name);
    c.get(*t, where, "min", tc.tier.min);
    c.get(*t, where, "max", tc.tier.max);
    c.get(*t, where, "price", tc.tier.price_per_hour);
    c.get(*t, where, "interruptible", tc.tier.interruptible);
    c.get(*t, where, "interruption_rate", tc.interruption_rate);
    c.get(*t, where, "interruption_grace", tc.interruption_grace);
    if (tc.tier.name.empty())
      c.problem(where + ".name", "is required");
    else if (!names.insert(tc.tier.name).second)
      c.problem(where + ".name", "'" + tc.tier.name + "' is used twice");
    if (tc.tier.max < 1) c.problem(where + ".max", "must be at least 1");
    if (tc.tier.min > tc.tier.max) c.problem(where + ".min", "must not exceed max");
    if (tc.tier.price_per_hour < 0) c.problem(where + ".price", "must not be negative");
    if (tc.interruption_rate < 0) c.problem(where + ".interruption_rate", "must not be negative");
    if (tc.interruption_rate > 0 && !tc.tier.interruptible)
      c.problem(where + ".interruption_rate", "is only for an interruptible tier");
    config.tiers.push_back(tc);
  }
}

void read_stages(const toml::table& root, Checker& c, UpConfig& config) {
  const toml::array* stages = root["stage"].as_array();
  if (!stages) return;
  for (std::size_t i = 0; i < stages->size(); ++i) {
    std::string where = "stage[" + std::to_string(i + 1) + "]";
    const toml::table* t = (*stages)[i].as_table();
    if (!t) {
      c.problem(where, "must be a table ([[stage]])");
      continue;
    }
    c.only(*t, where, {"name", "from", "to", "executable"});
    StageConfig s;
    c.get(*t, where, "name", s.name);
    c.get(*t, where, "from", s.from);
    c.get(*t, where, "to", s.to);
    c.get(*t, where, "executable", s.executable);
    for (auto [key, value] : {std::pair{"from", &s.from}, {"to", &s.to}})
      if (value->empty() || value->back() != '/')
        c.problem(where + "." + key, "must be a folder of the store, ending in '/'");
    if (s.executable.empty()) c.problem(where + ".executable", "is required");
    if (!s.from.empty() && s.from == s.to) c.problem(where + ".to", "must differ from 'from'");
    config.stages.push_back(s);
  }
}

}  // namespace

Result<UpConfig> load_up_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::kNotFound, "cannot read the config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  toml::table root;
  try {
    root = toml::parse(text.str(), path);
  } catch (const toml::parse_error& e) {
    return fail(ErrorCode::kInvalid, path + ":" + std::to_string(e.source().begin.line) + ":" +
                                         std::to_string(e.source().begin.column) + ": " +
                                         std::string(e.description()));
  }
  Checker c(path);
  UpConfig config;
  c.only(root, "", {"queue", "slots", "idle_exit", "store", "tier", "stage"});
  c.get(root, "", "queue", config.queue);
  c.get(root, "", "slots", config.slots);
  c.get(root, "", "idle_exit", config.idle_exit);
  if (const toml::table* store = root["store"].as_table()) {
    c.only(*store, "store", {"url", "prefix", "suffix"});
    c.get(*store, "store", "url", config.store);
    c.get(*store, "store", "prefix", config.prefix);
    c.get(*store, "store", "suffix", config.suffix);
    if (config.store.empty()) c.problem("store.url", "is required in [store]");
  }
  read_tiers(root, c, config);
  read_stages(root, c, config);
  if (config.slots < 1) c.problem("slots", "must be at least 1");
  if (config.idle_exit <= 0) c.problem("idle_exit", "must be more than 0 seconds");
  if (!config.stages.empty() && config.store.empty())
    c.problem("stage", "pipeline stages need a [store]");
  if (auto ok = c.result(); !ok) return std::unexpected(ok.error());
  return config;
}

}  // namespace tandem::cli
