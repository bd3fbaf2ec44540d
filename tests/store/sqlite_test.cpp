// The RAII wrapper in daemon/lib/sqlite: binding, stepping, column reads and error reporting.
#include "lib/sqlite/sqlite.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace feedd::lib {
namespace {

constexpr int kMemory = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY;

TEST(Sqlite, BindStepReadAndReset) {
  Database db(":memory:", kMemory);
  db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, s TEXT)");
  Statement ins = db.prepare("INSERT INTO t (k, n, s) VALUES (?1, ?2, ?3)");
  ins.bind_text(1, "a").bind_int64(2, -9007199254740993).bind_text(3, "x");
  EXPECT_FALSE(ins.step());
  EXPECT_EQ(db.changes(), 1);
  ins.reset();
  // reset() clears bindings: an unbound parameter is NULL.
  ins.bind_text(1, "b");
  EXPECT_FALSE(ins.step());
  ins.reset();
  ins.bind_text(1, std::string("c\0d", 3)).bind_int64(2, 7).bind_null(3);
  EXPECT_FALSE(ins.step());

  Statement sel = db.prepare("SELECT k, n, s FROM t ORDER BY k");
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.column_text(0), "a");
  EXPECT_EQ(sel.column_int64(1), -9007199254740993);
  EXPECT_EQ(sel.column_text(2), "x");
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.column_text(0), "b");
  EXPECT_TRUE(sel.column_is_null(1));
  EXPECT_EQ(sel.column_int64(1), 0);
  EXPECT_TRUE(sel.column_is_null(2));
  EXPECT_EQ(sel.column_text(2), "");
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.column_text(0), std::string("c\0d", 3));  // embedded NUL kept
  EXPECT_FALSE(sel.step());
  sel.reset();
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.column_text(0), "a");
}

TEST(Sqlite, EmptyStringBindsAsTextNotNull) {
  Database db(":memory:", kMemory);
  Statement s = db.prepare("SELECT ?1 IS NULL, length(?1)");
  s.bind_text(1, std::string_view());
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_int64(0), 0);
  EXPECT_EQ(s.column_int64(1), 0);
}

TEST(Sqlite, ErrorsCarryMessageCodeAndSql) {
  Database db(":memory:", kMemory);
  try {
    db.prepare("SELECT * FROM missing_table");
    FAIL() << "no exception";
  } catch (const SqliteError& e) {
    EXPECT_EQ(e.code(), SQLITE_ERROR);
    EXPECT_NE(e.message().find("no such table: missing_table"), std::string::npos);
    EXPECT_EQ(e.sql(), "SELECT * FROM missing_table");
    EXPECT_NE(std::string(e.what()).find("[in: SELECT * FROM missing_table]"), std::string::npos);
  }
  try {
    db.exec("CREATE TABLE u (k PRIMARY KEY); INSERT INTO u VALUES (1); INSERT INTO u VALUES (1)");
    FAIL() << "no exception";
  } catch (const SqliteError& e) {
    EXPECT_EQ(e.code(), SQLITE_CONSTRAINT_PRIMARYKEY);  // extended codes are on
    EXPECT_NE(e.message().find("UNIQUE"), std::string::npos);
  }
  Statement ins = db.prepare("INSERT INTO u VALUES (?1)");
  ins.bind_int64(1, 1);
  EXPECT_THROW(ins.step(), SqliteError);
  EXPECT_THROW(ins.bind_int64(2, 0), SqliteError);  // out of range
}

TEST(Sqlite, PrepareRejectsTrailingStatementsAndEmptyText) {
  Database db(":memory:", kMemory);
  EXPECT_THROW(db.prepare("SELECT 1; SELECT 2"), SqliteError);
  EXPECT_THROW(db.prepare("  "), SqliteError);
  EXPECT_NO_THROW(db.prepare("SELECT 1;  \n"));
}

TEST(Sqlite, OpenFailureNamesThePath) {
  const std::string path = "/nonexistent-feedd-dir/x.db";
  try {
    Database db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    FAIL() << "no exception";
  } catch (const SqliteError& e) {
    EXPECT_EQ(e.code(), SQLITE_CANTOPEN);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

TEST(Sqlite, MovedFromHandlesAreInert) {
  Database a(":memory:", kMemory);
  a.exec("CREATE TABLE t (x)");
  Database b = std::move(a);
  Statement s = b.prepare("SELECT count(*) FROM t");
  Statement s2 = std::move(s);
  ASSERT_TRUE(s2.step());
  EXPECT_EQ(s2.column_int64(0), 0);
  EXPECT_TRUE(b.autocommit());
  b.exec("BEGIN");
  EXPECT_FALSE(b.autocommit());
  b.exec("ROLLBACK");
}

TEST(Sqlite, TextBoundInPlaceIsReadAtStep) {
  Database db(":memory:", kMemory);
  db.exec("CREATE TABLE t (s TEXT)");
  Statement ins = db.prepare("INSERT INTO t VALUES (?1)");
  std::string value(5000, 'a');
  ins.bind_text_ref(1, value);
  value[0] = 'b';  // before the step: the step reads the bytes as they are then
  EXPECT_FALSE(ins.step());
  ins.reset();
  Statement sel = db.prepare("SELECT s FROM t");
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.column_text(0), value);
}

// The WAL hook replaces SQLite's automatic checkpoint: the WAL keeps every frame past the 1000
// of wal_autocheckpoint until checkpoint_passive() copies them, which a reader's snapshot holds
// back.
TEST(Sqlite, WalHookSeesEveryCommitAndReplacesTheAutomaticCheckpoint) {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("feedd_sqlite_wal_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "t.db").string();
  {
    Database db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.prepare("PRAGMA journal_mode=WAL").step();
    std::vector<int> seen;
    db.on_wal_commit([&seen](int frames) { seen.push_back(frames); });
    db.exec("CREATE TABLE t (s TEXT)");
    Statement ins = db.prepare("INSERT INTO t VALUES (?1)");
    db.exec("BEGIN");
    for (int i = 0; i < 1500; ++i) {  // a 4 KB page each: past 1000 frames
      ins.bind_text(1, std::string(5000, 'x'));
      ins.step();
      ins.reset();
    }
    db.exec("COMMIT");
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_GT(seen[1], 1500);
    EXPECT_GT(std::filesystem::file_size(path + "-wal"), 1500u * 4096);

    Database reader(path, SQLITE_OPEN_READONLY);
    reader.exec("BEGIN");
    Statement count = reader.prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(count.step());
    db.exec("INSERT INTO t VALUES ('late')");  // a frame the reader's snapshot does not see
    EXPECT_EQ(seen.size(), 3u);
    EXPECT_FALSE(db.checkpoint_passive());  // the last frame waits for the reader
    count.reset();
    reader.exec("COMMIT");
    EXPECT_TRUE(db.checkpoint_passive());
    db.on_wal_commit({});
    db.exec("INSERT INTO t VALUES ('after')");
    EXPECT_EQ(seen.size(), 3u);  // the hook is gone
  }
  Database db(path, SQLITE_OPEN_READONLY);
  Statement count = db.prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int64(0), 1502);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace feedd::lib
