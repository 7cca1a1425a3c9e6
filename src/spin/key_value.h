// The Spin key-value "default" store (and any other label a component lists), kept in one SQLite
// database in the state directory so values survive restarts. Thread-safe: one connection behind a
// mutex (requests are short; SQLite serialises writers anyway).
#pragma once
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wasipool/result.h"

struct sqlite3;

namespace wasipool::spin {

class KeyValue {
 public:
  static Result<std::unique_ptr<KeyValue>, std::string> open(const std::string& dir);
  ~KeyValue();
  // Each returns an error message on an I/O failure.
  Result<std::optional<std::string>, std::string> get(const std::string& store, const std::string& key);
  Result<Ok, std::string> set(const std::string& store, const std::string& key, const std::string& value);
  Result<Ok, std::string> remove(const std::string& store, const std::string& key);
  Result<std::vector<std::string>, std::string> keys(const std::string& store);

 private:
  explicit KeyValue(sqlite3* db) : db_(db) {}
  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace wasipool::spin
