// HTTP routing exactly as Spin 1.x does it: effective route = base + route; "/x/..." is a wildcard
// matching "/x", "/x/" and everything below; an exact route beats any wildcard; among wildcards the
// longest prefix wins whatever the declaration order; a duplicate route's last declaration wins.
// Built once from the App, then immutable and shared by all server threads.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "app.h"

namespace wasipool::spin {

struct RouteMatch {
  size_t route = 0;           // index into App::routes
  std::string based_route;    // base + route as written: "/foo/..."        (spin-matched-route)
  std::string raw_route;      // route as written, without base: "/foo/..."   (spin-raw-component-route)
  std::string component_route;// raw route without "/...": "/foo"             (spin-component-route)
  std::string script_name;    // based route without "/...": WAGI SCRIPT_NAME
  std::string path_info;      // the part after the wildcard prefix: "", "/", "/bar"
};

class Router {
 public:
  explicit Router(const App& app);
  // `path` is the request path without the query string.
  std::optional<RouteMatch> match(std::string_view path) const;
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct Entry {
    size_t route;
    std::string prefix;  // wildcard: based prefix without "/..." ("" for "/..."); exact: full path
    std::string based, raw, component_route;
  };
  std::unordered_map<std::string, Entry> exact_;
  std::vector<Entry> wildcards_;  // sorted longest prefix first
  std::vector<std::string> warnings_;
};

}  // namespace wasipool::spin
