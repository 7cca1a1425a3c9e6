// SQLite-backed key-value stores (see key_value.h). Same table shape as Spin's default store:
// (store, key) -> value blob.
#include "key_value.h"

#include <sqlite3.h>

#include <filesystem>

namespace wasipool::spin {

namespace {
struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};
}  // namespace

Result<std::unique_ptr<KeyValue>, std::string> KeyValue::open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("cannot create state directory '" + dir + "': " + ec.message());
  std::string path = dir + "/sqlite_key_value.db";
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail("cannot open key-value database '" + path + "': " + why);
  }
  char* err = nullptr;
  if (sqlite3_exec(db,
                   "PRAGMA journal_mode=WAL;"
                   "CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB "
                   "NOT NULL, PRIMARY KEY (store, key));",
                   nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "?";
    sqlite3_free(err);
    sqlite3_close(db);
    return fail("cannot initialise key-value database '" + path + "': " + why);
  }
  return std::unique_ptr<KeyValue>(new KeyValue(db));
}

KeyValue::~KeyValue() { sqlite3_close(db_); }

Result<std::optional<std::string>, std::string> KeyValue::get(const std::string& store, const std::string& key) {
  std::lock_guard lock(mu_);
  Stmt st;
  if (sqlite3_prepare_v2(db_, "SELECT value FROM spin_key_value WHERE store=?1 AND key=?2", -1, &st.s, nullptr))
    return fail(std::string(sqlite3_errmsg(db_)));
  sqlite3_bind_text(st.s, 1, store.data(), static_cast<int>(store.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  int rc = sqlite3_step(st.s);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return fail(std::string(sqlite3_errmsg(db_)));
  const void* p = sqlite3_column_blob(st.s, 0);
  int n = sqlite3_column_bytes(st.s, 0);
  return std::optional<std::string>(std::string(static_cast<const char*>(p), static_cast<size_t>(n)));
}

Result<Ok, std::string> KeyValue::set(const std::string& store, const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  Stmt st;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)", -1,
                         &st.s, nullptr))
    return fail(std::string(sqlite3_errmsg(db_)));
  sqlite3_bind_text(st.s, 1, store.data(), static_cast<int>(store.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  sqlite3_bind_blob(st.s, 3, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE) return fail(std::string(sqlite3_errmsg(db_)));
  return Ok{};
}

Result<Ok, std::string> KeyValue::remove(const std::string& store, const std::string& key) {
  std::lock_guard lock(mu_);
  Stmt st;
  if (sqlite3_prepare_v2(db_, "DELETE FROM spin_key_value WHERE store=?1 AND key=?2", -1, &st.s, nullptr))
    return fail(std::string(sqlite3_errmsg(db_)));
  sqlite3_bind_text(st.s, 1, store.data(), static_cast<int>(store.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE) return fail(std::string(sqlite3_errmsg(db_)));
  return Ok{};
}

Result<std::vector<std::string>, std::string> KeyValue::keys(const std::string& store) {
  std::lock_guard lock(mu_);
  Stmt st;
  if (sqlite3_prepare_v2(db_, "SELECT key FROM spin_key_value WHERE store=?1 ORDER BY key", -1, &st.s, nullptr))
    return fail(std::string(sqlite3_errmsg(db_)));
  sqlite3_bind_text(st.s, 1, store.data(), static_cast<int>(store.size()), SQLITE_TRANSIENT);
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0)),
                     static_cast<size_t>(sqlite3_column_bytes(st.s, 0)));
  if (rc != SQLITE_DONE) return fail(std::string(sqlite3_errmsg(db_)));
  return out;
}

}  // namespace wasipool::spin
