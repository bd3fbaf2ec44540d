#pragma once
// The store: SQLite (WAL) is the source of truth — articles with their HTML, every title hash
// and every (channel, GUID-or-link) ever seen, category membership, per-channel HTTP
// validators and health. Files under <output> are views written by the app after commit.
//
// Threading: a Store is used from one thread at a time. It runs one thread of its own, with a
// connection of its own, for the WAL's checkpoints (started by the first commit that fills
// the WAL past SQLite's automatic-checkpoint size; the destructor waits for it).
// Errors: the constructor throws StoreError (startup); every other method throws StoreError
// only on a database failure (disk full, corruption), which the caller treats as "roll the
// cycle back".
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "article/article.hpp"

namespace feedd::store {

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ChannelState {
  std::string etag;  // HTTP validators for the next conditional GET
  std::string last_modified;
  std::optional<std::chrono::sys_seconds> last_poll;     // last attempt
  std::optional<std::chrono::sys_seconds> last_success;  // last ok or 304
  std::string last_outcome;  // fetch::outcome_name() or "parse_error"; "" = never polled
  std::string last_error;    // human-readable reason of the last failure, "" after success
  int consecutive_failures = 0;
  std::string feed_title;  // upstream feed's title/link/url, for atom:source
  std::string feed_link;
  std::string feed_url;  // stored as lib::redact_url() gives it: without user:password
};

// An article as a feed lists it.
struct Entry {
  article::Article article;
  std::string channel_path;          // the first channel that carried it ("" for imports)
  std::chrono::sys_seconds added{};  // when it entered the store
};

// A stored article as `updates: true` finds it again by its channel and GUID.
struct Tracked {
  std::string hash;         // its title hash: its id and file name, which an update keeps
  std::string item_digest;  // article::item_digest of the item it was last made from
};

enum class AddOutcome {
  kNew,        // hash unknown: stored; its file must be written
  kDuplicate,  // hash known: only membership in this channel was recorded
};

// images: download — the fate of one image of one article.
enum class ImageState { kPending = 0, kStored = 1, kGivenUp = 2 };

struct ArticleImage {
  std::string hash;     // the article's
  std::string url;      // the image's own URL (what is fetched)
  std::string written;  // what the post holds for it until the file arrives
  std::string file;     // "<sha256 prefix>.<ext>" once stored, else ""
  ImageState state = ImageState::kPending;
  int attempts = 0;
  std::string reason;  // the last failure
  int position = 0;    // its place among the article's images (document order)
};

class Store {
 public:
  // Opens or creates the database and its schema; WAL mode, foreign keys on.
  explicit Store(const std::filesystem::path& db_path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // RAII transaction: rolls back on destruction unless commit() was called. Inside one, a
  // method that throws may leave its work half done (no savepoint of its own, for speed);
  // commit() then throws StoreError instead of committing, so the caller rolls back.
  class Transaction {
   public:
    explicit Transaction(Store& store);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

   private:
    Store* store_;
    bool done_ = false;
  };

  // RAII read snapshot, for many reads in a row (the feeds of a cycle): they see one state of
  // the store and share one read transaction instead of each statement starting its own (and
  // taking and dropping the file locks). Does nothing inside a Transaction, which already is
  // one. Reads only: a Transaction cannot begin while it lives, and a write under it is rolled
  // back when it ends. Throws StoreError when the read transaction cannot begin.
  class Snapshot {
   public:
    explicit Snapshot(const Store& store);
    ~Snapshot();
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;

   private:
    const Store* store_;
    bool began_ = false;
  };

  std::optional<ChannelState> channel_state(std::string_view channel_path) const;
  void set_channel_state(std::string_view channel_path, const ChannelState& state);

  // (channel, GUID-or-link) memory; survives pruning of article files and rows.
  bool item_seen(std::string_view channel_path, std::string_view item_key) const;
  void mark_item_seen(std::string_view channel_path, std::string_view item_key,
                      std::chrono::sys_seconds now);

  bool has_hash(std::string_view hash) const;

  // Stores `a` when its hash is new; in both cases records that `channel_path` carries it
  // ("" = imported, no channel). Also marks the hash as seen forever.
  AddOutcome add_article(const article::Article& a, std::string_view channel_path,
                         std::chrono::sys_seconds now);

  // The article first stored by `channel_path` for the item whose GUID (else link) is `guid`;
  // nullopt when there is none (never stored here, pruned, or "" guid).
  std::optional<Tracked> tracked_item(std::string_view channel_path, std::string_view guid) const;

  // Replaces the stored fields of the article `a.hash` with `a`'s: title, link, image, HTML,
  // summary, creator, tags, enclosures, updated, item_digest (not its hash, date, guid or
  // membership). False when no such article is stored.
  bool update_article(const article::Article& a);

  // Articles carried by channels under `node` ("" = all, "top", "top/source",
  // "top/source/channel" in slugs; imports belong only to ""), newest first by date then
  // hash, at most `limit`.
  std::vector<Entry> latest(std::string_view node, int limit) const;

  std::optional<article::Article> article(std::string_view hash) const;
  // The article `hash` as latest() lists it (with the channel that stored it first); nullopt
  // when it is not stored.
  std::optional<Entry> entry(std::string_view hash) const;
  std::vector<std::string> all_hashes() const;  // every stored article, for file regeneration

  // How many articles channel `channel_path` carries (its membership rows), counted up to
  // `at_most`: the index scan stops there, so a channel with years of articles costs no more
  // than a new one. No row is read.
  std::size_t channel_size(std::string_view channel_path, std::size_t at_most) const;
  // `a` as a read of its stored row returns it: the fields the store encodes (categories,
  // tags, enclosures) decoded again. Lets a caller that holds what it just stored use it as
  // latest() would return it, without the read.
  static article::Article as_stored(article::Article a);

  // A small named value kept with the data (and committed with the open transaction, if any);
  // nullopt when never set.
  std::optional<std::string> meta(std::string_view key) const;
  void set_meta(std::string_view key, std::string_view value);
  int article_count(std::string_view channel_path) const;  // articles this channel carries
  int total_articles() const;

  // Deletes article rows (not seen hashes/GUIDs) dated before `cutoff`; returns their hashes.
  std::vector<std::string> prune_before(std::chrono::sys_seconds cutoff);

  // images: download. Records (insert or replace by hash and url) one image of a stored article;
  // ignored when the article is not stored (pruned). Rows go with their article.
  void set_article_image(const ArticleImage& image);
  // Images still to be fetched, by article, at most `limit`.
  std::vector<ArticleImage> pending_images(int limit) const;
  // Every file a stored article references (for pruning the images folder), sorted.
  std::vector<std::string> image_files() const;
  // The channels that list the article `hash` (their feeds show its body).
  std::vector<std::string> article_channels(std::string_view hash) const;
  // Replaces an article's HTML and front-matter image (its images arrived).
  void set_article_body(std::string_view hash, std::string_view html, std::string_view image);

  // "ok" or the first problem PRAGMA integrity_check reports.
  std::string integrity_check() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedd::store
