#include "store/store.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include "lib/crypto/sha256.hpp"
#include "lib/curl/url.hpp"
#include "lib/sqlite/sqlite.hpp"

namespace feedd::store {
namespace {

using lib::Database;
using lib::SqliteError;
using lib::Statement;

// 'feed': tells our databases apart from any other SQLite file found at the configured path.
constexpr std::int64_t kApplicationId = 0x66656564;

// migrations[i] takes the schema from user_version i to i + 1. Append only; never edit one
// that has shipped.
constexpr const char* kMigrations[] = {
    R"sql(
-- A rowid table: rows carry whole HTML bodies, which WITHOUT ROWID handles badly.
CREATE TABLE articles (
  id           INTEGER PRIMARY KEY,
  hash         TEXT NOT NULL UNIQUE,
  title        TEXT NOT NULL,
  categories   TEXT NOT NULL,     -- each category followed by '\n'; see encode_categories
  author       TEXT NOT NULL,
  date         INTEGER NOT NULL,  -- Unix seconds
  link         TEXT NOT NULL,
  image        TEXT NOT NULL,
  html         TEXT NOT NULL,
  guid         TEXT NOT NULL,
  channel_path TEXT NOT NULL,     -- first channel that carried it, '' for imports
  added        INTEGER NOT NULL
);
CREATE INDEX articles_by_date ON articles(date DESC, hash);

-- Every hash ever stored; outlives pruning so a pruned article is never re-added.
CREATE TABLE seen_hashes (
  hash       TEXT PRIMARY KEY NOT NULL,
  first_seen INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE seen_items (
  channel_path TEXT NOT NULL,
  item_key     TEXT NOT NULL,
  first_seen   INTEGER NOT NULL,
  PRIMARY KEY (channel_path, item_key)
) WITHOUT ROWID;

-- date is the article's, copied so one channel's newest entries are an index range.
CREATE TABLE membership (
  hash         TEXT NOT NULL REFERENCES articles(hash) ON DELETE CASCADE,
  channel_path TEXT NOT NULL,
  date         INTEGER NOT NULL,
  added        INTEGER NOT NULL,
  PRIMARY KEY (hash, channel_path)
) WITHOUT ROWID;
CREATE INDEX membership_by_channel ON membership(channel_path, date DESC, hash);

CREATE TABLE channels (
  path                 TEXT PRIMARY KEY NOT NULL,
  etag                 TEXT NOT NULL,
  last_modified        TEXT NOT NULL,
  last_poll            INTEGER,
  last_success         INTEGER,
  last_outcome         TEXT NOT NULL,
  last_error           TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  feed_title           TEXT NOT NULL,
  feed_link            TEXT NOT NULL,
  feed_url             TEXT NOT NULL
) WITHOUT ROWID;
)sql",
    R"sql(
-- html_to_text(html), made with the HTML; NULL for rows stored before it was (made on use).
ALTER TABLE articles ADD COLUMN summary TEXT;

-- Small facts about the output as a whole, e.g. which views are known to be up to date.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql",
    R"sql(
-- Upstream metadata (issue 14); rows stored before it have none.
ALTER TABLE articles ADD COLUMN creator TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN tags TEXT NOT NULL DEFAULT '';        -- as encode_categories
ALTER TABLE articles ADD COLUMN enclosures TEXT NOT NULL DEFAULT '';  -- see encode_enclosures
-- updates: true. When upstream last changed the article (NULL: never), the digest of the item
-- it was made from, and the index that finds a channel's article by its GUID.
ALTER TABLE articles ADD COLUMN updated INTEGER;
ALTER TABLE articles ADD COLUMN item_digest TEXT NOT NULL DEFAULT '';
CREATE INDEX articles_by_guid ON articles(channel_path, guid);
)sql",
    R"sql(
-- images: download. One row per image of an article: the file it became, or why not yet.
CREATE TABLE article_images (
  hash     TEXT NOT NULL REFERENCES articles(hash) ON DELETE CASCADE,
  url      TEXT NOT NULL,     -- the image's own URL, fetched
  position INTEGER NOT NULL,  -- its place among the article's images
  written  TEXT NOT NULL,     -- what the post holds for it until the file arrives
  file     TEXT NOT NULL,     -- '' until stored
  state    INTEGER NOT NULL,  -- 0 pending, 1 stored, 2 given up
  attempts INTEGER NOT NULL,
  reason   TEXT NOT NULL,
  PRIMARY KEY (hash, url)
) WITHOUT ROWID;
CREATE INDEX article_images_by_state ON article_images(state, hash);
)sql",
};
constexpr std::int64_t kSchemaVersion = std::size(kMigrations);

// Upstream GUIDs are unbounded; long keys are stored as their digest so a hostile feed cannot
// grow the table by megabytes per item.
constexpr std::size_t kMaxItemKey = 512;

std::string bounded_item_key(std::string_view key) {
  if (key.size() <= kMaxItemKey) return std::string(key);
  return "sha256:" + lib::sha256_hex(key);
}

// Lossless: each category is escaped ('\\' and '\n') and terminated by '\n', so [] and [""]
// differ and a stray newline in a display name cannot split it.
std::string encode_categories(const std::vector<std::string>& categories) {
  std::string out;
  for (const auto& c : categories) {
    for (char ch : c) {
      if (ch == '\\') {
        out += "\\\\";
      } else if (ch == '\n') {
        out += "\\n";
      } else {
        out += ch;
      }
    }
    out += '\n';
  }
  return out;
}

std::vector<std::string> decode_categories(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (ch == '\n') {
      out.push_back(std::move(cur));
      cur.clear();
    } else if (ch == '\\' && i + 1 < s.size()) {
      ++i;
      cur += s[i] == 'n' ? '\n' : s[i];
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));  // tolerate a missing final terminator
  return out;
}

// Three fields per enclosure (URL, type, length or ""), in encode_categories' lossless form.
std::string encode_enclosures(const std::vector<parse::Enclosure>& enclosures) {
  std::vector<std::string> fields;
  fields.reserve(enclosures.size() * 3);
  for (const auto& e : enclosures) {
    fields.push_back(e.url);
    fields.push_back(e.type);
    fields.push_back(e.length ? std::to_string(*e.length) : std::string());
  }
  return encode_categories(fields);
}

std::vector<parse::Enclosure> decode_enclosures(std::string_view s) {
  const std::vector<std::string> fields = decode_categories(s);
  std::vector<parse::Enclosure> out;
  for (std::size_t i = 0; i + 2 < fields.size(); i += 3) {
    parse::Enclosure e;
    e.url = fields[i];
    e.type = fields[i + 1];
    if (!fields[i + 2].empty()) {
      std::uint64_t n = 0;
      const std::string& d = fields[i + 2];
      const auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), n);
      if (ec == std::errc() && end == d.data() + d.size()) e.length = n;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::int64_t to_db(std::chrono::sys_seconds t) {
  return t.time_since_epoch().count();
}
std::chrono::sys_seconds from_db(std::int64_t v) {
  return std::chrono::sys_seconds(std::chrono::seconds(v));
}

// Resets a cached statement when the caller is done with it, also on exceptions: a SELECT left
// mid-way would pin its WAL snapshot and stop checkpoints.
class Use {
 public:
  explicit Use(Statement& s) : s_(s) {}
  ~Use() { s_.reset(); }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  Statement* operator->() { return &s_; }
  Statement& operator*() { return s_; }

 private:
  Statement& s_;
};

// A nestable unit of work (SAVEPOINT works inside and outside BEGIN), so multi-statement
// methods are atomic whether or not the caller holds a Transaction.
class Savepoint {
 public:
  // `begin` and `release` are the cached "SAVEPOINT feedd_op" / "RELEASE feedd_op": this runs
  // for every article, so it skips re-parsing them.
  Savepoint(Database& db, Statement& begin, Statement& release) : db_(db), release_(release) {
    Use(begin)->step();
  }
  ~Savepoint() {
    if (done_) return;
    try {
      db_.exec("ROLLBACK TO feedd_op; RELEASE feedd_op");
    } catch (const SqliteError&) {
      // Nothing more to do: the enclosing transaction (if any) reports the failure.
    }
  }
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  void release() {
    Use(release_)->step();
    done_ = true;
  }

 private:
  Database& db_;
  Statement& release_;
  bool done_ = false;
};

constexpr const char* kArticleColumns =
    "hash, title, categories, author, date, link, image, html, guid, channel_path, added, summary, "
    "creator, tags, enclosures, updated, item_digest";

// kArticleColumns, each name prefixed with `prefix` ("a."), for a join.
std::string prefixed_article_columns(std::string_view prefix) {
  std::string out(prefix);
  for (const char* c = kArticleColumns; *c != '\0'; ++c) {
    out += *c;
    if (*c == ' ') out += prefix;
  }
  return out;
}

const std::string& article_by_hash_sql() {
  static const std::string sql =
      "SELECT " + std::string(kArticleColumns) + " FROM articles WHERE hash = ?1";
  return sql;
}

Entry read_entry(const Statement& s) {
  Entry e;
  e.article.hash = s.column_text(0);
  e.article.title = s.column_text(1);
  e.article.categories = decode_categories(s.column_text(2));
  e.article.author = s.column_text(3);
  e.article.date = from_db(s.column_int64(4));
  e.article.link = s.column_text(5);
  e.article.image = s.column_text(6);
  e.article.html = s.column_text(7);
  e.article.guid = s.column_text(8);
  e.channel_path = s.column_text(9);
  e.added = from_db(s.column_int64(10));
  if (!s.column_is_null(11)) e.article.summary = s.column_text(11);
  e.article.creator = s.column_text(12);
  e.article.tags = decode_categories(s.column_text(13));
  e.article.enclosures = decode_enclosures(s.column_text(14));
  if (!s.column_is_null(15)) e.article.updated = from_db(s.column_int64(15));
  e.article.item_digest = s.column_text(16);
  return e;
}

// WAL frames after which a commit asks for a checkpoint: SQLite's own default
// (wal_autocheckpoint), 16 MB at our page size.
constexpr int kCheckpointFrames = 1000;

// The WAL's checkpoints, on a thread and a connection of their own. SQLite's automatic
// checkpoint runs inside the COMMIT that crosses kCheckpointFrames, on the committing thread:
// for a cold cycle that is copying ~50 MB of WAL into the database file while everything after
// the commit (posts renamed, feeds rendered) waits. Here the commit only wakes this thread, which
// runs the same PASSIVE checkpoint (same durability: the WAL was synced by the COMMIT; the
// checkpoint syncs it again, then the database file, as synchronous=FULL does) while the cycle
// goes on. The destructor waits for a requested checkpoint to finish, so nothing is left to the
// next process that SQLite would not have left either.
//
// Threading: request() from the store's thread (the WAL hook); the rest is internal.
class Checkpointer {
 public:
  explicit Checkpointer(std::string path) : path_(std::move(path)) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // After a commit that left `frames` in the WAL. False when this thread cannot checkpoint
  // (its connection could not be opened or its last checkpoint failed): the caller then
  // checkpoints itself, as SQLite would have.
  bool request(int frames) {
    if (frames < kCheckpointFrames) return true;
    {
      std::lock_guard lock(mutex_);
      if (broken_) return false;
      requested_ = true;
    }
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    wake_.notify_one();
    return true;
  }

 private:
  void run() {
    std::optional<Database> db;
    std::unique_lock lock(mutex_);
    while (true) {
      // A request made before stopping still runs: the close of the store's connection would
      // otherwise do that checkpoint on the store's thread.
      wake_.wait(lock, [this] { return requested_ || stopping_; });
      if (!requested_) return;
      requested_ = false;
      lock.unlock();
      bool ok = true;
      try {
        if (!db) {
          db.emplace(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
          db->exec("PRAGMA synchronous=FULL");
        }
        db->checkpoint_passive();  // frames a reader still needs wait for the next one
      } catch (const SqliteError&) {
        ok = false;
      }
      lock.lock();
      if (!ok) broken_ = true;
    }
  }

  std::string path_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  bool broken_ = false;  // the store's thread checkpoints from now on
  std::thread thread_;   // started by the first request
};

}  // namespace

struct Store::Impl {
  std::string path;  // for messages
  Database db;
  // Keyed by SQL text; looked up by string_view, so a call builds no string.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, Statement, TextHash, std::equal_to<>> cache;
  bool in_transaction = false;  // a Transaction is open
  bool failed = false;          // a statement failed since it was opened: commit() refuses
  // A database this process created is filled in rollback-journal mode until it holds articles
  // (see Store::Store); then the first commit after switches it to WAL.
  bool wal_pending = false;
  // Declared after db: destroyed (its thread joined, its connection closed) before db closes.
  Checkpointer checkpointer;

  Impl(std::string p, Database d) : path(std::move(p)), db(std::move(d)), checkpointer(path) {}
  ~Impl() {
    db.on_wal_commit({});
    switch_to_wal_when_filled();  // after writes outside a Transaction
  }

  // After a commit: the switch to WAL once the database holds articles. A failed switch (another
  // connection has the file open) leaves rollback-journal mode, which is as safe, and the next
  // commit tries again.
  // Never throws: the commit before it stands whatever happens here.
  void switch_to_wal_when_filled() noexcept {
    if (!wal_pending) return;
    try {
      {
        Use filled(stmt("SELECT EXISTS (SELECT 1 FROM articles)"));
        if (!filled->step() || filled->column_int64(0) == 0) return;
      }
      Statement mode = db.prepare("PRAGMA journal_mode=WAL");
      if (mode.step() && mode.column_text(0) == "wal") wal_pending = false;
    } catch (...) {
      // Busy (another connection), or out of memory: the next commit tries again.
    }
  }

  Statement& stmt(std::string_view sql) {
    auto it = cache.find(sql);
    if (it == cache.end()) it = cache.emplace(std::string(sql), db.prepare(sql)).first;
    return it->second;
  }

  // A savepoint around a multi-statement method when the caller holds no Transaction; none
  // inside one, where a failure rolls the whole transaction back anyway (Transaction::commit
  // refuses after one) and a savepoint per article would copy every page it touches into the
  // sub-journal.
  void unit(std::optional<Savepoint>& sp) {
    if (!in_transaction) sp.emplace(db, stmt("SAVEPOINT feedd_op"), stmt("RELEASE feedd_op"));
  }

  std::int64_t pragma_int(const char* name) {
    Statement s = db.prepare(std::string("PRAGMA ") + name);
    return s.step() ? s.column_int64(0) : 0;
  }
};

namespace {

[[noreturn]] void fail(const std::string& path, const SqliteError& e) {
  throw StoreError("store " + path + ": " + e.what());
}

// Runs `f`, turning SQLite failures into StoreError naming the database. A failure inside a
// Transaction marks it: what the failing method did may be half done, so it must not commit.
template <class Impl, class F>
auto guarded(Impl& impl, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const SqliteError& e) {
    if (impl.in_transaction) impl.failed = true;
    fail(impl.path, e);
  }
}

}  // namespace

Store::Store(const std::filesystem::path& db_path) {
  const std::string path = db_path.string();
  std::error_code ec;
  if (db_path.has_parent_path()) {
    std::filesystem::create_directories(db_path.parent_path(), ec);
    if (ec) throw StoreError("store " + path + ": cannot create folder: " + ec.message());
  }
  // A database created now is filled in rollback-journal mode: a first cycle then writes each
  // page once, into the file, where WAL writes it into the log and a checkpoint copies it into
  // the file again (a cold cycle's ~50 MB: the checkpoint was the last thing a `feedd once` waited
  // for). WAL, for readers beside the writer and one flush per commit, from the first commit
  // that leaves articles in it.
  const bool created = !std::filesystem::exists(db_path, ec) && !ec;
  try {
    impl_ = std::make_unique<Impl>(
        path, Database(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX));
  } catch (const SqliteError& e) {
    throw StoreError("store " + path + ": cannot open: " + e.message());
  }
  Impl& im = *impl_;
  try {
    im.db.busy_timeout(5000);
    // Only takes effect on a new, empty file (an existing one keeps its size). Most article
    // rows (2-5 KB of HTML) then fit in one page instead of spilling into an overflow chain,
    // and a cold cycle writes a quarter of the pages.
    im.db.exec("PRAGMA page_size=16384");
    // The first statement that reads the file; a non-database file fails here.
    im.db.prepare(created ? "PRAGMA journal_mode=DELETE" : "PRAGMA journal_mode=WAL").step();
    im.wal_pending = created;
    // FULL: each committed cycle survives power loss, as the status page promises.
    im.db.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
    // Each add_article is a savepoint inside the cycle's transaction, whose undo pages go to a
    // sub-journal: in a temporary file that was ~20 page writes per article (200k pwrite calls
    // for a cold cycle of 9000). In memory it is a few pages, freed at each release.
    im.db.exec("PRAGMA temp_store=MEMORY");
    // Checkpoints off this thread (Checkpointer); inline only when that thread cannot.
    im.db.on_wal_commit([&im](int frames) {
      if (!im.checkpointer.request(frames)) {
        try {
          im.db.checkpoint_passive();
        } catch (const SqliteError&) {
          // As with SQLite's own automatic checkpoint: the commit stands; the next one retries.
        }
      }
    });

    const std::int64_t app_id = im.pragma_int("application_id");
    const std::int64_t version = im.pragma_int("user_version");
    const bool has_tables = [&] {
      Statement s = im.db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
      return s.step() && s.column_int64(0) > 0;
    }();
    if ((app_id != 0 && app_id != kApplicationId) || (app_id == 0 && has_tables)) {
      throw StoreError("store " + path + ": not a feedd database (another program's SQLite file)");
    }
    if (version > kSchemaVersion) {
      throw StoreError("store " + path + ": schema version " + std::to_string(version) +
                       " is newer than this feedd understands (" + std::to_string(kSchemaVersion) +
                       ")");
    }
    if (version < kSchemaVersion) {
      // IMMEDIATE: two daemons starting at once must not both migrate.
      im.db.exec("BEGIN IMMEDIATE");
      try {
        // Re-read under the write lock: another process may have migrated meanwhile.
        for (std::int64_t v = im.pragma_int("user_version"); v < kSchemaVersion; ++v) {
          im.db.exec(kMigrations[v]);
        }
        im.db.exec("PRAGMA application_id=" + std::to_string(kApplicationId) +
                   "; PRAGMA user_version=" + std::to_string(kSchemaVersion));
        im.db.exec("COMMIT");
      } catch (...) {
        if (!im.db.autocommit()) im.db.exec("ROLLBACK");
        throw;
      }
    }
  } catch (const SqliteError& e) {
    if (e.code() == SQLITE_NOTADB || (e.code() & 0xff) == SQLITE_CORRUPT) {
      throw StoreError("store " + path + ": not a usable feedd database (" + e.message() +
                       "); move the file away to start afresh");
    }
    fail(path, e);
  }
}

Store::~Store() = default;

Store::Transaction::Transaction(Store& store) : store_(&store) {
  Impl& im = *store_->impl_;
  try {
    im.db.exec("BEGIN IMMEDIATE");
  } catch (const SqliteError& e) {
    fail(im.path, e);  // inside another one: that one is not harmed, so not marked failed
  }
  im.in_transaction = true;
  im.failed = false;
}

Store::Transaction::~Transaction() {
  if (done_) return;
  Impl& im = *store_->impl_;
  im.in_transaction = false;
  try {
    im.db.exec("ROLLBACK");
  } catch (const SqliteError&) {
    // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL); nothing to undo.
  }
}

void Store::Transaction::commit() {
  Impl& im = *store_->impl_;
  if (im.failed) {
    throw StoreError("store " + im.path +
                     ": a statement of this transaction failed; it cannot be committed");
  }
  guarded(im, [&] { im.db.exec("COMMIT"); });
  im.in_transaction = false;
  done_ = true;
  im.switch_to_wal_when_filled();
}

Store::Snapshot::Snapshot(const Store& store) : store_(&store) {
  Impl& im = *store_->impl_;
  if (!im.db.autocommit()) return;
  guarded(im, [&] { im.db.exec("BEGIN"); });
  began_ = true;
}

Store::Snapshot::~Snapshot() {
  if (!began_) return;
  try {
    store_->impl_->db.exec("ROLLBACK");
  } catch (const SqliteError&) {
    // Nothing was written under it; SQLite may have ended the transaction on its own already.
  }
}

std::optional<ChannelState> Store::channel_state(std::string_view channel_path) const {
  return guarded(*impl_, [&]() -> std::optional<ChannelState> {
    Use s(impl_->stmt(
        "SELECT etag, last_modified, last_poll, last_success, last_outcome, last_error, "
        "consecutive_failures, feed_title, feed_link, feed_url FROM channels WHERE path = ?1"));
    s->bind_text(1, channel_path);
    if (!s->step()) return std::nullopt;
    ChannelState c;
    c.etag = s->column_text(0);
    c.last_modified = s->column_text(1);
    if (!s->column_is_null(2)) c.last_poll = from_db(s->column_int64(2));
    if (!s->column_is_null(3)) c.last_success = from_db(s->column_int64(3));
    c.last_outcome = s->column_text(4);
    c.last_error = s->column_text(5);
    c.consecutive_failures = static_cast<int>(s->column_int64(6));
    c.feed_title = s->column_text(7);
    c.feed_link = s->column_text(8);
    c.feed_url = s->column_text(9);
    return c;
  });
}

void Store::set_channel_state(std::string_view channel_path, const ChannelState& state) {
  guarded(*impl_, [&] {
    Use s(impl_->stmt(
        "INSERT OR REPLACE INTO channels (path, etag, last_modified, last_poll, last_success, "
        "last_outcome, last_error, consecutive_failures, feed_title, feed_link, feed_url) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    s->bind_text(1, channel_path).bind_text(2, state.etag).bind_text(3, state.last_modified);
    if (state.last_poll) s->bind_int64(4, to_db(*state.last_poll));
    if (state.last_success) s->bind_int64(5, to_db(*state.last_success));
    s->bind_text(6, state.last_outcome)
        .bind_text(7, state.last_error)
        .bind_int64(8, state.consecutive_failures)
        .bind_text(9, state.feed_title)
        .bind_text(10, state.feed_link)
        // The config holds the credentials; the database, often backed up or copied, does not.
        .bind_text(11, lib::redact_url(state.feed_url));
    s->step();
  });
}

bool Store::item_seen(std::string_view channel_path, std::string_view item_key) const {
  return guarded(*impl_, [&] {
    Use s(impl_->stmt("SELECT 1 FROM seen_items WHERE channel_path = ?1 AND item_key = ?2"));
    s->bind_text(1, channel_path).bind_text(2, bounded_item_key(item_key));
    return s->step();
  });
}

void Store::mark_item_seen(std::string_view channel_path, std::string_view item_key,
                           std::chrono::sys_seconds now) {
  guarded(*impl_, [&] {
    Use s(
        impl_->stmt("INSERT OR IGNORE INTO seen_items (channel_path, item_key, first_seen) "
                    "VALUES (?1, ?2, ?3)"));
    s->bind_text(1, channel_path)
        .bind_text(2, bounded_item_key(item_key))
        .bind_int64(3, to_db(now));
    s->step();
  });
}

bool Store::has_hash(std::string_view hash) const {
  return guarded(*impl_, [&] {
    Use s(impl_->stmt("SELECT 1 FROM seen_hashes WHERE hash = ?1"));
    s->bind_text(1, hash);
    return s->step();
  });
}

AddOutcome Store::add_article(const article::Article& a, std::string_view channel_path,
                              std::chrono::sys_seconds now) {
  return guarded(*impl_, [&] {
    std::optional<Savepoint> sp;
    impl_->unit(sp);
    AddOutcome outcome = AddOutcome::kDuplicate;
    {
      Use s(impl_->stmt("INSERT OR IGNORE INTO seen_hashes (hash, first_seen) VALUES (?1, ?2)"));
      s->bind_text(1, a.hash).bind_int64(2, to_db(now));
      s->step();
      if (impl_->db.changes() == 1) outcome = AddOutcome::kNew;
    }
    if (outcome == AddOutcome::kNew) {
      static const std::string sql =
          std::string("INSERT OR IGNORE INTO articles (") + kArticleColumns +
          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
      Use s(impl_->stmt(sql));
      // `a` and `channel_path` outlive the step (Use resets, clearing the bindings): bound in
      // place, not copied — the HTML is most of a row.
      s->bind_text_ref(1, a.hash)
          .bind_text_ref(2, a.title)
          .bind_text(3, encode_categories(a.categories))
          .bind_text_ref(4, a.author)
          .bind_int64(5, to_db(a.date))
          .bind_text_ref(6, a.link)
          .bind_text_ref(7, a.image)
          .bind_text_ref(8, a.html)
          .bind_text_ref(9, a.guid)
          .bind_text_ref(10, channel_path)
          .bind_int64(11, to_db(now));
      if (a.summary) s->bind_text_ref(12, *a.summary);
      s->bind_text_ref(13, a.creator)
          .bind_text(14, encode_categories(a.tags))
          .bind_text(15, encode_enclosures(a.enclosures));
      if (a.updated) s->bind_int64(16, to_db(*a.updated));
      s->bind_text_ref(17, a.item_digest);
      s->step();
    }
    if (!channel_path.empty() && outcome == AddOutcome::kNew) {
      // The row just stored: its date is a's, no lookup needed.
      Use s(
          impl_->stmt("INSERT OR IGNORE INTO membership (hash, channel_path, date, added) "
                      "VALUES (?1, ?2, ?3, ?4)"));
      s->bind_text_ref(1, a.hash)
          .bind_text_ref(2, channel_path)
          .bind_int64(3, to_db(a.date))
          .bind_int64(4, to_db(now));
      s->step();
    } else if (!channel_path.empty()) {
      // A pruned article (hash seen, row gone) gets no membership: there is nothing to list.
      Use s(
          impl_->stmt("INSERT OR IGNORE INTO membership (hash, channel_path, date, added) "
                      "SELECT hash, ?2, date, ?3 FROM articles WHERE hash = ?1"));
      s->bind_text(1, a.hash).bind_text(2, channel_path).bind_int64(3, to_db(now));
      s->step();
    }
    if (sp) sp->release();
    return outcome;
  });
}

std::optional<Tracked> Store::tracked_item(std::string_view channel_path,
                                           std::string_view guid) const {
  return guarded(*impl_, [&]() -> std::optional<Tracked> {
    if (guid.empty()) return std::nullopt;
    Use s(impl_->stmt(
        "SELECT hash, item_digest FROM articles WHERE channel_path = ?1 AND guid = ?2 LIMIT 1"));
    s->bind_text(1, channel_path).bind_text(2, guid);
    if (!s->step()) return std::nullopt;
    return Tracked{s->column_text(0), s->column_text(1)};
  });
}

bool Store::update_article(const article::Article& a) {
  return guarded(*impl_, [&] {
    Use s(impl_->stmt(
        "UPDATE articles SET title = ?2, link = ?3, image = ?4, html = ?5, summary = ?6, "
        "creator = ?7, tags = ?8, enclosures = ?9, updated = ?10, item_digest = ?11 "
        "WHERE hash = ?1"));
    s->bind_text(1, a.hash)
        .bind_text(2, a.title)
        .bind_text(3, a.link)
        .bind_text(4, a.image)
        .bind_text(5, a.html);
    if (a.summary) s->bind_text(6, *a.summary);
    s->bind_text(7, a.creator)
        .bind_text(8, encode_categories(a.tags))
        .bind_text(9, encode_enclosures(a.enclosures));
    if (a.updated) s->bind_int64(10, to_db(*a.updated));
    s->bind_text(11, a.item_digest);
    s->step();
    return impl_->db.changes() == 1;
  });
}

std::optional<Entry> Store::entry(std::string_view hash) const {
  return guarded(*impl_, [&]() -> std::optional<Entry> {
    Use s(impl_->stmt(article_by_hash_sql()));
    s->bind_text(1, hash);
    if (!s->step()) return std::nullopt;
    return read_entry(*s);
  });
}

std::size_t Store::channel_size(std::string_view channel_path, std::size_t at_most) const {
  return guarded(*impl_, [&] {
    Use s(impl_->stmt(
        "SELECT count(*) FROM (SELECT 1 FROM membership WHERE channel_path = ?1 LIMIT ?2)"));
    s->bind_text(1, channel_path).bind_int64(2, static_cast<std::int64_t>(at_most));
    return s->step() ? static_cast<std::size_t>(s->column_int64(0)) : std::size_t{0};
  });
}

article::Article Store::as_stored(article::Article a) {
  a.categories = decode_categories(encode_categories(a.categories));
  a.tags = decode_categories(encode_categories(a.tags));
  a.enclosures = decode_enclosures(encode_enclosures(a.enclosures));
  return a;
}

std::vector<Entry> Store::latest(std::string_view node, int limit) const {
  return guarded(*impl_, [&] {
    std::vector<Entry> out;
    if (limit <= 0) return out;
    if (node.empty()) {
      static const std::string sql = "SELECT " + std::string(kArticleColumns) +
                                     " FROM articles ORDER BY date DESC, hash LIMIT ?1";
      Use s(impl_->stmt(sql));
      s->bind_int64(1, limit);
      while (s->step())
        out.push_back(read_entry(*s));
      return out;
    }
    // Descendants of "a/b" are exactly the paths in ["a/b/", "a/b0"): '0' is the byte after
    // '/', so "a/bc/x" and "a/b-x" fall outside, and the range (unlike LIKE, where '_' in
    // slugs is a wildcard) uses the membership index.
    const std::string self(node);
    const std::string hi = self + '0';
    std::vector<std::string> channels = {self};
    {
      // Loose index scan: one index probe per distinct channel, not one per membership row.
      Use first(impl_->stmt(
          "SELECT channel_path FROM membership WHERE channel_path >= ?1 AND channel_path < ?2 "
          "ORDER BY channel_path LIMIT 1"));
      first->bind_text(1, self + '/').bind_text(2, hi);
      if (first->step()) channels.push_back(first->column_text(0));
    }
    while (channels.size() > 1) {
      Use next(impl_->stmt(
          "SELECT channel_path FROM membership WHERE channel_path > ?1 AND channel_path < ?2 "
          "ORDER BY channel_path LIMIT 1"));
      next->bind_text(1, channels.back()).bind_text(2, hi);
      if (!next->step()) break;
      channels.push_back(next->column_text(0));
    }
    if (channels.size() == 1) {
      // No descendants (a channel's own feed: most of them): its newest rows in one statement,
      // straight off the membership index, instead of one lookup per article.
      static const std::string sql =
          "SELECT " + prefixed_article_columns("a.") +
          " FROM membership m JOIN articles a ON a.hash = m.hash WHERE m.channel_path = ?1 "
          "ORDER BY m.date DESC, m.hash LIMIT ?2";
      Use s(impl_->stmt(sql));
      s->bind_text(1, self).bind_int64(2, limit);
      while (s->step())
        out.push_back(read_entry(*s));
      return out;
    }
    // Each channel's newest `limit` come straight off the index; the node's newest `limit`
    // are among their union. An article carried by several of them is listed once.
    struct Ref {
      std::int64_t date = 0;
      std::string hash;
    };
    std::vector<Ref> refs;
    for (const auto& ch : channels) {
      Use s(
          impl_->stmt("SELECT date, hash FROM membership WHERE channel_path = ?1 "
                      "ORDER BY date DESC, hash LIMIT ?2"));
      s->bind_text(1, ch).bind_int64(2, limit);
      while (s->step())
        refs.push_back({s->column_int64(0), s->column_text(1)});
    }
    std::sort(refs.begin(), refs.end(), [](const Ref& x, const Ref& y) {
      return x.date != y.date ? x.date > y.date : x.hash < y.hash;
    });
    refs.erase(std::unique(refs.begin(), refs.end(),
                           [](const Ref& x, const Ref& y) { return x.hash == y.hash; }),
               refs.end());
    if (refs.size() > static_cast<std::size_t>(limit)) refs.resize(static_cast<std::size_t>(limit));
    Use s(impl_->stmt(article_by_hash_sql()));
    for (const auto& r : refs) {
      s->reset();
      s->bind_text(1, r.hash);
      if (s->step()) out.push_back(read_entry(*s));
    }
    return out;
  });
}

std::optional<article::Article> Store::article(std::string_view hash) const {
  return guarded(*impl_, [&]() -> std::optional<article::Article> {
    Use s(impl_->stmt(article_by_hash_sql()));
    s->bind_text(1, hash);
    if (!s->step()) return std::nullopt;
    return read_entry(*s).article;
  });
}

std::optional<std::string> Store::meta(std::string_view key) const {
  return guarded(*impl_, [&]() -> std::optional<std::string> {
    Use s(impl_->stmt("SELECT value FROM meta WHERE key = ?1"));
    s->bind_text(1, key);
    if (!s->step()) return std::nullopt;
    return s->column_text(0);
  });
}

void Store::set_meta(std::string_view key, std::string_view value) {
  guarded(*impl_, [&] {
    Use s(impl_->stmt("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)"));
    s->bind_text(1, key).bind_text(2, value);
    s->step();
  });
}

std::vector<std::string> Store::all_hashes() const {
  return guarded(*impl_, [&] {
    std::vector<std::string> out;
    Use s(impl_->stmt("SELECT hash FROM articles ORDER BY hash"));
    while (s->step())
      out.push_back(s->column_text(0));
    return out;
  });
}

int Store::article_count(std::string_view channel_path) const {
  return guarded(*impl_, [&] {
    Use s(impl_->stmt("SELECT count(*) FROM membership WHERE channel_path = ?1"));
    s->bind_text(1, channel_path);
    return s->step() ? static_cast<int>(s->column_int64(0)) : 0;
  });
}

int Store::total_articles() const {
  return guarded(*impl_, [&] {
    Use s(impl_->stmt("SELECT count(*) FROM articles"));
    return s->step() ? static_cast<int>(s->column_int64(0)) : 0;
  });
}

std::vector<std::string> Store::prune_before(std::chrono::sys_seconds cutoff) {
  return guarded(*impl_, [&] {
    std::optional<Savepoint> sp;
    impl_->unit(sp);
    std::vector<std::string> out;
    {
      Use s(impl_->stmt("SELECT hash FROM articles WHERE date < ?1 ORDER BY hash"));
      s->bind_int64(1, to_db(cutoff));
      while (s->step())
        out.push_back(s->column_text(0));
    }
    {
      // Membership rows go with them (ON DELETE CASCADE); seen_hashes and seen_items stay.
      Use s(impl_->stmt("DELETE FROM articles WHERE date < ?1"));
      s->bind_int64(1, to_db(cutoff));
      s->step();
    }
    if (sp) sp->release();
    return out;
  });
}

void Store::set_article_image(const ArticleImage& image) {
  guarded(*impl_, [&] {
    Use s(impl_->stmt(
        "INSERT OR REPLACE INTO article_images (hash, url, position, written, file, state, "
        "attempts, reason) SELECT ?1, ?2, ?8, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM "
        "articles WHERE hash = ?1)"));
    s->bind_text(1, image.hash)
        .bind_text(2, image.url)
        .bind_text(3, image.written)
        .bind_text(4, image.file)
        .bind_int64(5, static_cast<int>(image.state))
        .bind_int64(6, image.attempts)
        .bind_text(7, image.reason)
        .bind_int64(8, image.position);
    s->step();
  });
}

std::vector<ArticleImage> Store::pending_images(int limit) const {
  return guarded(*impl_, [&] {
    std::vector<ArticleImage> out;
    Use s(
        impl_->stmt("SELECT hash, url, written, file, state, attempts, reason, position FROM "
                    "article_images WHERE state = 0 ORDER BY hash, position LIMIT ?1"));
    s->bind_int64(1, limit);
    while (s->step()) {
      out.push_back({s->column_text(0), s->column_text(1), s->column_text(2), s->column_text(3),
                     static_cast<ImageState>(s->column_int64(4)),
                     static_cast<int>(s->column_int64(5)), s->column_text(6),
                     static_cast<int>(s->column_int64(7))});
    }
    return out;
  });
}

std::vector<std::string> Store::image_files() const {
  return guarded(*impl_, [&] {
    std::vector<std::string> out;
    Use s(impl_->stmt(
        "SELECT DISTINCT file FROM article_images WHERE state = 1 AND file != '' ORDER BY file"));
    while (s->step())
      out.push_back(s->column_text(0));
    return out;
  });
}

std::vector<std::string> Store::article_channels(std::string_view hash) const {
  return guarded(*impl_, [&] {
    std::vector<std::string> out;
    Use s(impl_->stmt("SELECT channel_path FROM membership WHERE hash = ?1 ORDER BY 1"));
    s->bind_text(1, hash);
    while (s->step())
      out.push_back(s->column_text(0));
    return out;
  });
}

void Store::set_article_body(std::string_view hash, std::string_view html, std::string_view image) {
  guarded(*impl_, [&] {
    Use s(impl_->stmt("UPDATE articles SET html = ?2, image = ?3 WHERE hash = ?1"));
    s->bind_text(1, hash).bind_text(2, html).bind_text(3, image);
    s->step();
  });
}

std::string Store::integrity_check() const {
  return guarded(*impl_, [&]() -> std::string {
    try {
      // Only the first problem; a corrupt file can list thousands.
      Statement s = impl_->db.prepare("PRAGMA integrity_check(1)");
      return s.step() ? s.column_text(0) : std::string("integrity_check returned nothing");
    } catch (const SqliteError& e) {
      // Damage bad enough to stop the check is its answer, not a failure of the call.
      if (e.code() == SQLITE_NOTADB || (e.code() & 0xff) == SQLITE_CORRUPT) return e.message();
      throw;
    }
  });
}

}  // namespace feedd::store
