// keyvalue backends (see keyvalue.h).
#include "keyvalue.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "spin/redis_client.h"

namespace wasipool::slight {

namespace {

KvError io_error(const std::string& what) { return KvError{KvErrorKind::IoError, what + ": " + std::strerror(errno)}; }

class FilesystemKv final : public KvBackend {
 public:
  explicit FilesystemKv(std::string base) : base_(std::move(base)) {}

  Result<std::string, KvError> get(const std::string& store, const std::string& key) override {
    auto path = key_path(store, key);
    if (!path.ok()) return fail(path.error());
    int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      if (errno == ENOENT) return fail(KvError{KvErrorKind::KeyNotFound, "key '" + key + "' not found"});
      return fail(io_error("cannot read key '" + key + "'"));
    }
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    int err = errno;
    ::close(fd);
    if (n < 0) {
      errno = err;
      return fail(io_error("cannot read key '" + key + "'"));
    }
    return out;
  }

  Result<Ok, KvError> set(const std::string& store, const std::string& key, const std::string& value) override {
    auto dir = store_dir(store, true);
    if (!dir.ok()) return fail(dir.error());
    auto path = key_path(store, key);
    if (!path.ok()) return fail(path.error());
    // Write a temporary file and rename it over the key: a reader (or a crash) never sees half a value.
    std::string tmp = *dir + "/.tmp." + std::to_string(::getpid()) + "." + std::to_string(next_tmp_++);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return fail(io_error("cannot write key '" + key + "'"));
    size_t off = 0;
    while (off < value.size()) {
      ssize_t n = ::write(fd, value.data() + off, value.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return fail(io_error("cannot write key '" + key + "'"));
      }
      off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path->c_str()) != 0) {
      ::unlink(tmp.c_str());
      return fail(io_error("cannot write key '" + key + "'"));
    }
    return Ok{};
  }

  Result<std::vector<std::string>, KvError> keys(const std::string& store) override {
    auto dir = store_dir(store, false);
    if (!dir.ok()) return fail(dir.error());
    std::vector<std::string> out;
    DIR* d = ::opendir(dir->c_str());
    if (!d) {
      if (errno == ENOENT) return out;  // nothing was ever set in this store
      return fail(io_error("cannot list store '" + store + "'"));
    }
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;  // ".", "..", temporaries: encoded keys never start with '.'
      if (auto k = decode_file_name(e->d_name)) out.push_back(std::move(*k));
    }
    ::closedir(d);
    return out;
  }

  Result<Ok, KvError> remove(const std::string& store, const std::string& key) override {
    auto path = key_path(store, key);
    if (!path.ok()) return fail(path.error());
    if (::unlink(path->c_str()) != 0) {
      if (errno == ENOENT) return fail(KvError{KvErrorKind::KeyNotFound, "key '" + key + "' not found"});
      return fail(io_error("cannot delete key '" + key + "'"));
    }
    return Ok{};
  }

 private:
  Result<std::string, KvError> store_dir(const std::string& store, bool create) {
    if (store.empty()) return fail(KvError{KvErrorKind::UnexpectedError, "empty store name"});
    std::string dir = base_ + "/" + encode_file_name(store);
    if (create) {
      // mkdir -p of base_ then the store; EEXIST is fine (another request may win the race).
      std::string p;
      for (size_t i = 0; i <= base_.size(); ++i) {
        if (i == base_.size() || (base_[i] == '/' && i > 0)) {
          p = base_.substr(0, i);
          if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST)
            return fail(io_error("cannot create keyvalue directory '" + p + "'"));
        }
      }
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(io_error("cannot create keyvalue directory '" + dir + "'"));
    }
    return dir;
  }

  // The guest names keys freely; encoding makes every key exactly one file inside its store's
  // directory, so "../x" or "a/b" can never reach another store or anything outside the base.
  Result<std::string, KvError> key_path(const std::string& store, const std::string& key) {
    if (key.empty()) return fail(KvError{KvErrorKind::InvalidKey, "empty key"});
    auto dir = store_dir(store, false);
    if (!dir.ok()) return fail(dir.error());
    return *dir + "/" + encode_file_name(key);
  }

  std::string base_;
  std::atomic<uint64_t> next_tmp_{0};
};

class RedisKv final : public KvBackend {
 public:
  RedisKv(std::string address, std::chrono::milliseconds timeout) : address_(std::move(address)), timeout_(timeout) {}

  Result<std::string, KvError> get(const std::string& store, const std::string& key) override {
    auto r = command({"GET", store + ":" + key});
    if (!r.ok()) return fail(r.error());
    if (r->kind == spin::RedisReply::Kind::Nil) return fail(KvError{KvErrorKind::KeyNotFound, "key '" + key + "' not found"});
    return std::move(r->str);
  }

  Result<Ok, KvError> set(const std::string& store, const std::string& key, const std::string& value) override {
    auto r = command({"SET", store + ":" + key, value});
    if (!r.ok()) return fail(r.error());
    return Ok{};
  }

  Result<std::vector<std::string>, KvError> keys(const std::string& store) override {
    // KEYS takes a glob: the store name's own glob characters are escaped so "a*" lists only "a*:".
    std::string pattern;
    for (char c : store) {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern += '\\';
      pattern += c;
    }
    auto r = command({"KEYS", pattern + ":*"});
    if (!r.ok()) return fail(r.error());
    std::vector<std::string> out;
    for (auto& e : r->elements) out.push_back(e.str.substr(store.size() + 1));
    return out;
  }

  Result<Ok, KvError> remove(const std::string& store, const std::string& key) override {
    auto r = command({"DEL", store + ":" + key});
    if (!r.ok()) return fail(r.error());
    if (r->integer == 0) return fail(KvError{KvErrorKind::KeyNotFound, "key '" + key + "' not found"});
    return Ok{};
  }

 private:
  Result<spin::RedisReply, KvError> command(const std::vector<std::string>& args) {
    auto r = spin::redis_command(address_, args, timeout_);
    if (!r.ok()) return fail(KvError{KvErrorKind::ConnectionError, "redis " + args[0] + ": " + r.error()});
    if (r->kind == spin::RedisReply::Kind::Error) {
      auto kind = r->str.rfind("NOAUTH", 0) == 0 || r->str.rfind("WRONGPASS", 0) == 0 ? KvErrorKind::AuthenticationError
                                                                                      : KvErrorKind::UnexpectedError;
      return fail(KvError{kind, "redis " + args[0] + ": " + r->str});
    }
    return std::move(*r);
  }

  std::string address_;
  std::chrono::milliseconds timeout_;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string encode_file_name(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                (c == '.' && i > 0);
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> decode_file_name(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::unique_ptr<KvBackend> make_filesystem_kv(std::string base_dir) {
  return std::make_unique<FilesystemKv>(std::move(base_dir));
}

Result<std::unique_ptr<KvBackend>, std::string> make_redis_kv(std::string address, std::chrono::milliseconds timeout) {
  std::string host;
  uint16_t port = 0;
  if (!spin::parse_redis_address(address, host, port))
    return fail("'" + address + "' is not a redis address (redis://host[:port][/db])");
  return std::unique_ptr<KvBackend>(std::make_unique<RedisKv>(std::move(address), timeout));
}

}  // namespace wasipool::slight
