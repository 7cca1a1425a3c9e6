// Route table construction and matching (see router.h for the rules).
#include "router.h"

#include <algorithm>

namespace wasipool::spin {

namespace {
// Spin sanitises the base: a trailing '/' is dropped ("/" becomes ""), so base + route never
// produces "//".
std::string sanitize_base(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!base.empty() && base[0] != '/') base = "/" + base;
  return base;
}
constexpr std::string_view kWildcard = "/...";
bool is_wildcard(const std::string& r) {
  return r.size() >= kWildcard.size() && r.compare(r.size() - kWildcard.size(), kWildcard.size(), kWildcard) == 0;
}
}  // namespace

Router::Router(const App& app) {
  std::string base = sanitize_base(app.base);
  for (size_t i = 0; i < app.routes.size(); ++i) {
    const std::string& raw = app.routes[i].route;
    Entry e;
    e.route = i;
    e.raw = raw;
    e.based = base + raw;
    if (is_wildcard(raw)) {
      e.component_route = raw.substr(0, raw.size() - kWildcard.size());
      e.prefix = base + e.component_route;
      auto dup = std::find_if(wildcards_.begin(), wildcards_.end(), [&](const Entry& w) { return w.prefix == e.prefix; });
      if (dup != wildcards_.end()) {
        warnings_.push_back("duplicate route '" + e.based + "': the later declaration wins");
        *dup = e;
      } else {
        wildcards_.push_back(e);
      }
    } else {
      e.component_route = raw;
      e.prefix = e.based;
      // "/" with a base of "/" is "" after sanitising; the request path "/" must still match.
      if (e.prefix.empty()) e.prefix = "/";
      if (exact_.count(e.prefix)) warnings_.push_back("duplicate route '" + e.based + "': the later declaration wins");
      exact_[e.prefix] = e;
    }
  }
  std::stable_sort(wildcards_.begin(), wildcards_.end(),
                   [](const Entry& a, const Entry& b) { return a.prefix.size() > b.prefix.size(); });
}

std::optional<RouteMatch> Router::match(std::string_view path) const {
  auto make = [](const Entry& e, std::string path_info) {
    RouteMatch m;
    m.route = e.route;
    m.based_route = e.based;
    m.raw_route = e.raw;
    m.component_route = e.component_route;
    m.script_name = e.prefix;
    m.path_info = std::move(path_info);
    return m;
  };
  if (auto it = exact_.find(std::string(path)); it != exact_.end()) return make(it->second, "");
  for (const auto& w : wildcards_) {
    // A prefix matches at a segment boundary only: "/foo/..." must not catch "/foobar".
    if (path.size() < w.prefix.size() || path.compare(0, w.prefix.size(), w.prefix) != 0) continue;
    std::string_view rest = path.substr(w.prefix.size());
    if (!rest.empty() && rest[0] != '/') continue;
    return make(w, std::string(rest));
  }
  return std::nullopt;
}

}  // namespace wasipool::spin
