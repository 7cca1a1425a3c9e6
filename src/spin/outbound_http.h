// A minimal blocking HTTP/1.1 client for wasi-outbound-http (plain http:// only; https needs TLS, which
// wasipool does not link). One connection per request, `Connection: close`, bounded in time and size.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/server.h"
#include "wasipool/result.h"

namespace wasipool::spin {

struct OutboundRequest {
  std::string method = "GET";
  std::string host;  // name or IP
  uint16_t port = 80;
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// "scheme://[user@]host[:port][/path][?query][#frag]" split for a request: the port defaults by scheme
// (https 443, else 80), the target is "/path?query" without the fragment. nullopt when the URL is not
// http or https or has no host.
struct OutboundUrl {
  std::string scheme, host;
  uint16_t port = 80;
  std::string target = "/";
};
std::optional<OutboundUrl> parse_outbound_url(const std::string& uri);

// Error: a one-line reason (connection refused, timeout, malformed response, too large).
Result<http::Response, std::string> send_outbound(const OutboundRequest& req, std::chrono::milliseconds timeout,
                                                  size_t max_response_bytes);

}  // namespace wasipool::spin
