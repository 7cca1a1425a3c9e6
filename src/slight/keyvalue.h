// slight's keyvalue capability backends (resources keyvalue.* and the 0.1 names kv.*). A store is
// what the guest opens by name; each backend keeps stores apart:
//   filesystem — one directory per store under a base directory, one file per key (values survive
//                restarts; writes are atomic: temp file + rename).
//   redis      — keys "<store>:<key>" on a redis server (slight's layout), one connection per call
//                through spin's bounded RESP2 client.
// Thread-safe: every call may come from any request's worker thread at once.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wasipool/result.h"

namespace wasipool::slight {

// The keyvalue-error variant of keyvalue.wit (v0.3-v0.5), in its case order.
enum class KvErrorKind : uint8_t {
  KeyNotFound = 0,
  InvalidKey,
  InvalidValue,
  ConnectionError,
  AuthenticationError,
  TimeoutError,
  IoError,
  UnexpectedError,
};

struct KvError {
  KvErrorKind kind = KvErrorKind::UnexpectedError;
  std::string message;
};

class KvBackend {
 public:
  virtual ~KvBackend() = default;
  virtual Result<std::string, KvError> get(const std::string& store, const std::string& key) = 0;
  virtual Result<Ok, KvError> set(const std::string& store, const std::string& key, const std::string& value) = 0;
  virtual Result<std::vector<std::string>, KvError> keys(const std::string& store) = 0;
  virtual Result<Ok, KvError> remove(const std::string& store, const std::string& key) = 0;
};

// `base_dir` is created on first use (it must be writable).
std::unique_ptr<KvBackend> make_filesystem_kv(std::string base_dir);
// `address` is "redis://host[:port][/db]"; error when it is not such a URL.
Result<std::unique_ptr<KvBackend>, std::string> make_redis_kv(std::string address, std::chrono::milliseconds timeout);

// A key or store name as one safe file name: [A-Za-z0-9_-] and non-leading '.' stay, everything else
// becomes %XX. Exposed for tests.
std::string encode_file_name(const std::string& s);
std::optional<std::string> decode_file_name(const std::string& s);

}  // namespace wasipool::slight
