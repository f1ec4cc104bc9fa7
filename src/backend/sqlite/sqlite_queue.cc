#include "backend/sqlite/sqlite_queue.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <thread>

namespace tandem::sqlite {

namespace {

constexpr Millis kFirstPollMs = 5;
constexpr Millis kMaxPollMs = 200;

std::optional<std::int64_t> parse_id(const std::string& id) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc() || ptr != id.data() + id.size()) return std::nullopt;
  return n;
}

}  // namespace

Result<void> insert_messages(Db& db, std::string_view queue, std::span<const std::string> bodies,
                             Millis now) {
  for (const auto& body : bodies) {
    auto insert = db.prepare(
        "INSERT INTO queue_messages (queue, body, visible_at, enqueued_at) "
        "VALUES (?1, ?2, ?3, ?3)");
    if (!insert) return std::unexpected(insert.error());
    auto ran = insert->bind(1, queue).bind(2, body).bind(3, now).run();
    if (!ran) return std::unexpected(ran.error());
  }
  return {};
}

SqliteQueue::SqliteQueue(Db& db, std::string name) : db_(db), name_(std::move(name)) {}

Result<void> SqliteQueue::send(std::span<const std::string> bodies) {
  return db_.transaction(true, [&] { return insert_messages(db_, name_, bodies, now_millis()); });
}

Result<std::optional<Message>> SqliteQueue::receive(Millis lease_ms, Millis wait_ms) {
  Millis deadline = steady_millis() + std::max<Millis>(wait_ms, 0);
  Millis poll = kFirstPollMs;
  for (;;) {
    auto m = take_visible(lease_ms);
    if (!m || *m) return m;
    Millis sleep = std::min(poll, deadline - steady_millis());
    if (sleep <= 0) return m;
    auto next = next_visible_at();
    if (!next) return std::unexpected(next.error());
    if (*next) sleep = std::clamp<Millis>(**next - now_millis(), 1, sleep);
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep));
    poll = std::min(poll * 2, kMaxPollMs);
  }
}

Result<std::optional<Message>> SqliteQueue::take_visible(Millis lease_ms) {
  return db_.transaction(true, [&]() -> Result<std::optional<Message>> {
    auto take = db_.prepare(
        "UPDATE queue_messages SET visible_at = ?3, receive_count = receive_count + 1, "
        "receipt = ?4, leased = 1 "
        "WHERE id = (SELECT id FROM queue_messages WHERE queue = ?1 AND visible_at <= ?2 "
        "ORDER BY visible_at, id LIMIT 1) "
        "RETURNING id, body, receive_count, receipt");
    if (!take) return std::unexpected(take.error());
    Millis now = now_millis();
    auto row =
        take->bind(1, name_).bind(2, now).bind(3, now + lease_ms).bind(4, new_receipt()).step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<Message>();
    Message m{std::to_string(take->integer(0)), take->text(1), take->text(3),
              static_cast<int>(take->integer(2))};
    if (auto rest = take->run(); !rest) return std::unexpected(rest.error());
    return std::optional<Message>(std::move(m));
  });
}

Result<std::optional<Millis>> SqliteQueue::next_visible_at() {
  auto next = db_.prepare(
      "SELECT visible_at FROM queue_messages WHERE queue = ?1 ORDER BY visible_at LIMIT 1");
  if (!next) return std::unexpected(next.error());
  auto row = next->bind(1, name_).step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Millis>();
  return std::optional<Millis>(next->integer(0));
}

Result<void> SqliteQueue::change_held(std::string_view sql, const Message& m,
                                      const std::vector<std::int64_t>& extra) {
  auto id = parse_id(m.id);
  if (!id) return std::unexpected(lease_lost(m));
  auto statement = db_.prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  statement->bind(1, *id).bind(2, name_).bind(3, m.receipt);
  for (std::size_t i = 0; i < extra.size(); ++i) statement->bind(static_cast<int>(i) + 4, extra[i]);
  auto changed = statement->run();
  if (!changed) return std::unexpected(changed.error());
  if (*changed == 0) return std::unexpected(lease_lost(m));
  return {};
}

Error SqliteQueue::lease_lost(const Message& m) const {
  return Error{ErrorCode::kLeaseLost,
               "message " + m.id + " of queue '" + name_ +
                   "' is no longer held by this receipt (its lease ended and it was "
                   "received again, or it was released or removed)"};
}

std::string SqliteQueue::new_receipt() {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(random_()),
                static_cast<unsigned long long>(random_()));
  return buf;
}

Result<void> SqliteQueue::renew(const Message& m, Millis lease_ms) {
  return change_held(
      "UPDATE queue_messages SET visible_at = ?4, leased = 1 "
      "WHERE id = ?1 AND queue = ?2 AND receipt = ?3",
      m, {now_millis() + lease_ms});
}

Result<void> SqliteQueue::release(const Message& m, Millis delay_ms) {
  return change_held(
      "UPDATE queue_messages SET visible_at = ?4, leased = 0, receipt = NULL "
      "WHERE id = ?1 AND queue = ?2 AND receipt = ?3",
      m, {now_millis() + std::max<Millis>(delay_ms, 0)});
}

Result<void> SqliteQueue::remove(const Message& m) {
  return change_held("DELETE FROM queue_messages WHERE id = ?1 AND queue = ?2 AND receipt = ?3", m,
                     {});
}

Result<void> SqliteQueue::dead_letter(const Message& m, const std::string& reason) {
  return db_.transaction(true, [&]() -> Result<void> {
    auto id = parse_id(m.id);
    if (!id) return std::unexpected(lease_lost(m));
    auto keep = db_.prepare(
        "INSERT INTO dead_letters (message_id, queue, body, receive_count, reason, at) "
        "SELECT id, queue, body, receive_count, ?4, ?5 FROM queue_messages "
        "WHERE id = ?1 AND queue = ?2 AND receipt = ?3");
    if (!keep) return std::unexpected(keep.error());
    auto kept = keep->bind(1, *id)
                    .bind(2, name_)
                    .bind(3, m.receipt)
                    .bind(4, reason)
                    .bind(5, now_millis())
                    .run();
    if (!kept) return std::unexpected(kept.error());
    if (*kept == 0) return std::unexpected(lease_lost(m));
    return remove(m);
  });
}

Result<QueueStats> SqliteQueue::stats() {
  return db_.transaction(false, [&]() -> Result<QueueStats> {
    auto count = db_.prepare(
        "SELECT COALESCE(SUM(visible_at <= ?2), 0), "
        "COALESCE(SUM(visible_at > ?2 AND leased), 0), "
        "COALESCE(SUM(visible_at > ?2 AND NOT leased), 0) "
        "FROM queue_messages WHERE queue = ?1");
    if (!count) return std::unexpected(count.error());
    auto row = count->bind(1, name_).bind(2, now_millis()).step();
    if (!row) return std::unexpected(row.error());
    QueueStats s;
    s.visible = static_cast<long>(count->integer(0));
    s.in_flight = static_cast<long>(count->integer(1));
    s.delayed = static_cast<long>(count->integer(2));
    auto dead = db_.prepare("SELECT COUNT(*) FROM dead_letters WHERE queue = ?1");
    if (!dead) return std::unexpected(dead.error());
    auto dead_row = dead->bind(1, name_).step();
    if (!dead_row) return std::unexpected(dead_row.error());
    s.dead = static_cast<long>(dead->integer(0));
    return s;
  });
}

}  // namespace tandem::sqlite
