// `wasipool run --tcplisten ADDR:PORT`: the host opens the listening socket and hands it to the
// guest as a pre-opened descriptor (owner: run). The guest can only accept on it; it can never bind
// or connect anywhere itself, because WASI preview1 has no such calls.
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run_options.h"

namespace wasipool::cli::run {

Result<int, std::string> open_listener(const std::string& addr) {
  auto bad = [&](const std::string& why) { return fail("--tcplisten " + addr + ": " + why); };
  // "[::1]:8080" or "127.0.0.1:8080". Numeric addresses only: no resolver, so no surprise DNS traffic.
  std::string host, port_text;
  if (!addr.empty() && addr[0] == '[') {
    size_t close = addr.find(']');
    if (close == std::string::npos || close + 1 >= addr.size() || addr[close + 1] != ':')
      return bad("expected [IPv6]:PORT");
    host = addr.substr(1, close - 1);
    port_text = addr.substr(close + 2);
  } else {
    size_t colon = addr.rfind(':');
    if (colon == std::string::npos) return bad("expected ADDR:PORT");
    host = addr.substr(0, colon);
    port_text = addr.substr(colon + 1);
  }
  auto port = parse_size(port_text);
  if (!port || port_text.find_first_not_of("0123456789") != std::string::npos || *port > 65535)
    return bad("bad port '" + port_text + "'");

  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (auto* in4 = reinterpret_cast<sockaddr_in*>(&ss); inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(*port));
    len = sizeof(sockaddr_in);
  } else if (auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
             inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    family = AF_INET6;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(*port));
    len = sizeof(sockaddr_in6);
  } else {
    return bad("'" + host + "' is not a numeric IPv4 or IPv6 address");
  }

  // CLOEXEC: the descriptor belongs to the guest, never to anything the host might spawn.
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return bad(std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 128) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return bad(why);
  }
  return fd;
}

}  // namespace wasipool::cli::run
