// A minimal blocking Redis client (RESP2) for the Spin 1.x outbound-redis interface: one connection per
// call, bounded in time and reply size. Replies are untrusted input: lengths are checked before use.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "wasipool/result.h"

namespace wasipool::spin {

struct RedisReply {
  enum class Kind { Nil, Status, Error, Int, Bulk, Array } kind = Kind::Nil;
  std::string str;  // Status, Error, Bulk
  int64_t integer = 0;
  std::vector<RedisReply> elements;  // Array
};

// `address` is "redis://host[:port][/db]". Error: one line (connect, timeout, protocol).
Result<RedisReply, std::string> redis_command(const std::string& address, const std::vector<std::string>& args,
                                              std::chrono::milliseconds timeout);

// Splits "redis://host[:port][/db]" (port 6379 by default); false when it is not such a URL.
bool parse_redis_address(const std::string& address, std::string& host, uint16_t& port);

}  // namespace wasipool::spin
