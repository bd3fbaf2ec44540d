#pragma once
// Thin RAII wrappers over the SQLite C API. The only place that holds sqlite3* / sqlite3_stmt*.
//
// Threading: a Database and its Statements are used from one thread at a time. Errors: every
// failing call throws SqliteError, carrying SQLite's message, its extended result code and the
// SQL text involved. Destructors never throw.
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace feedd::lib {

class SqliteError : public std::runtime_error {
 public:
  // what() is "sqlite: MESSAGE" plus " [in: SQL]" when `sql` is not empty.
  SqliteError(int code, std::string message, std::string sql);
  int code() const noexcept { return code_; }  // extended result code (SQLITE_NOTADB, …)
  const std::string& message() const noexcept { return message_; }  // SQLite's own text
  const std::string& sql() const noexcept { return sql_; }

 private:
  int code_;
  std::string message_;
  std::string sql_;
};

class Statement;

class Database {
 public:
  // Opens `path` with sqlite3_open_v2 `flags` (SQLITE_OPEN_*). Throws SqliteError when SQLite
  // cannot open it; note SQLite reads the file lazily, so a non-database file is only
  // reported by the first statement that touches it.
  Database(const std::string& path, int flags);
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // How long a statement waits for another connection's lock before failing with BUSY.
  void busy_timeout(int milliseconds);

  // Runs one or more ';'-separated statements, discarding any rows.
  void exec(std::string_view sql);

  // Compiles exactly one statement; trailing text after it is an error.
  Statement prepare(std::string_view sql);

  // Rows changed by the most recent INSERT/UPDATE/DELETE on this connection.
  std::int64_t changes() const noexcept;

  // False inside BEGIN … COMMIT.
  bool autocommit() const noexcept;

  // WAL mode: `hook` runs on this connection's thread after each commit, with the number of
  // frames in the WAL; it replaces SQLite's automatic checkpoint (wal_autocheckpoint), so the
  // hook decides when and where the WAL is checkpointed. Empty: no hook and no automatic
  // checkpoint. The hook must not throw.
  void on_wal_commit(std::function<void(int frames)> hook);

  // A PASSIVE checkpoint of the WAL (sqlite3_wal_checkpoint_v2): copies every frame no reader
  // still needs into the database file, without waiting for readers or writers. True when
  // every frame of the WAL is in the database file afterwards; false when some remain (a
  // reader's snapshot, another checkpoint running: SQLITE_BUSY). Throws on other failures.
  bool checkpoint_passive();

 private:
  sqlite3* db_ = nullptr;
  // Heap-held so that its address, given to SQLite, survives moves of the Database.
  std::unique_ptr<std::function<void(int)>> wal_hook_;
};

class Statement {
 public:
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text is copied (SQLITE_TRANSIENT).
  Statement& bind_text(int index, std::string_view value);
  // Text read in place (SQLITE_STATIC), saving the copy of a long value: the bytes must stay
  // alive and unchanged until reset() (which clears the bindings) or this parameter's next bind.
  Statement& bind_text_ref(int index, std::string_view value);
  Statement& bind_int64(int index, std::int64_t value);
  Statement& bind_null(int index);

  // True when a row is available, false when the statement is done.
  bool step();

  // Columns are 0-based. Valid only after step() returned true.
  std::string column_text(int index) const;    // NULL reads as ""
  std::int64_t column_int64(int index) const;  // NULL reads as 0
  bool column_is_null(int index) const;

  // Makes the statement runnable again and clears its bindings. A statement left un-reset
  // after a partial read keeps its read snapshot open, so callers reset when done.
  void reset() noexcept;

  const char* sql() const noexcept;

 private:
  friend class Database;
  explicit Statement(sqlite3_stmt* stmt) noexcept : stmt_(stmt) {}
  void check_bind(int rc, int index) const;

  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace feedd::lib
