#include "lib/sqlite/sqlite.hpp"

#include <limits>
#include <utility>

namespace feedd::lib {
namespace {

std::string what_of(const std::string& message, const std::string& sql) {
  std::string w = "sqlite: " + message;
  if (!sql.empty()) w += " [in: " + sql + "]";
  return w;
}

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view sql) {
  // sqlite3_errmsg describes the latest failure on the connection, which is more specific
  // ("no such table: x") than the generic text of the code; fall back when there is no handle.
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const int code = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  throw SqliteError(code, std::move(message), std::string(sql));
}

int checked_length(std::string_view s, std::string_view sql) {
  if (s.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw SqliteError(SQLITE_TOOBIG, "string or blob too big", std::string(sql));
  }
  return static_cast<int>(s.size());
}

}  // namespace

SqliteError::SqliteError(int code, std::string message, std::string sql)
    : std::runtime_error(what_of(message, sql)),
      code_(code),
      message_(std::move(message)),
      sql_(std::move(sql)) {}

Database::Database(const std::string& path, int flags) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    // A handle is usually allocated even on failure and must still be closed.
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(rc, message + ": " + path, "");
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), wal_hook_(std::move(other.wal_hook_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    wal_hook_ = std::move(other.wal_hook_);
  }
  return *this;
}

void Database::busy_timeout(int milliseconds) {
  const int rc = sqlite3_busy_timeout(db_, milliseconds);
  if (rc != SQLITE_OK) fail(db_, rc, "");
}

void Database::exec(std::string_view sql) {
  const std::string text(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string message = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(sqlite3_extended_errcode(db_), std::move(message), text);
  }
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), checked_length(sql, sql), &stmt, &tail);
  if (rc != SQLITE_OK) fail(db_, rc, sql);
  Statement result(stmt);
  if (stmt == nullptr) throw SqliteError(SQLITE_MISUSE, "empty statement", std::string(sql));
  const std::string_view rest = sql.substr(static_cast<std::size_t>(tail - sql.data()));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    throw SqliteError(SQLITE_MISUSE, "more than one statement", std::string(sql));
  }
  return result;
}

std::int64_t Database::changes() const noexcept {
  return sqlite3_changes64(db_);
}

bool Database::autocommit() const noexcept {
  return sqlite3_get_autocommit(db_) != 0;
}

void Database::on_wal_commit(std::function<void(int)> hook) {
  if (!hook) {
    sqlite3_wal_hook(db_, nullptr, nullptr);
    wal_hook_.reset();
    return;
  }
  auto held = std::make_unique<std::function<void(int)>>(std::move(hook));
  sqlite3_wal_hook(
      db_,
      [](void* arg, sqlite3*, const char*, int frames) {
        (*static_cast<std::function<void(int)>*>(arg))(frames);
        return SQLITE_OK;
      },
      held.get());
  wal_hook_ = std::move(held);
}

bool Database::checkpoint_passive() {
  int frames = 0;
  int copied = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
  if (rc == SQLITE_BUSY) return false;
  if (rc != SQLITE_OK) fail(db_, rc, "PRAGMA wal_checkpoint(PASSIVE)");
  return copied == frames;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

void Statement::check_bind(int rc, int index) const {
  if (rc == SQLITE_OK) return;
  sqlite3* db = sqlite3_db_handle(stmt_);
  throw SqliteError(
      rc, std::string(sqlite3_errmsg(db)) + " (parameter " + std::to_string(index) + ")", sql());
}

Statement& Statement::bind_text(int index, std::string_view value) {
  // A null data pointer would bind NULL; an empty string_view may have one.
  const char* data = value.data() != nullptr ? value.data() : "";
  check_bind(sqlite3_bind_text(stmt_, index, data, checked_length(value, sql()), SQLITE_TRANSIENT),
             index);
  return *this;
}

Statement& Statement::bind_text_ref(int index, std::string_view value) {
  const char* data = value.data() != nullptr ? value.data() : "";
  check_bind(sqlite3_bind_text(stmt_, index, data, checked_length(value, sql()), SQLITE_STATIC),
             index);
  return *this;
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(sqlite3_db_handle(stmt_), rc, sql());
}

std::string Statement::column_text(int index) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  // Length after the text conversion above, so embedded NULs survive.
  const int n = sqlite3_column_bytes(stmt_, index);
  return p != nullptr ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

std::int64_t Statement::column_int64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

void Statement::reset() noexcept {
  // The return value repeats the last step()'s error, which step() already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

const char* Statement::sql() const noexcept {
  const char* s = stmt_ != nullptr ? sqlite3_sql(stmt_) : nullptr;
  return s != nullptr ? s : "";
}

}  // namespace feedd::lib
