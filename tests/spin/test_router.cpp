// The routing table, exactly as Spin: exact beats wildcard, longest wildcard prefix wins in any
// declaration order, segment boundaries, base path, path_info and the derived route headers.
#include <gtest/gtest.h>

#include "spin/router.h"

using namespace wasipool::spin;

namespace {
App make_app(std::string base, std::vector<std::string> routes) {
  App app;
  app.base = std::move(base);
  for (size_t i = 0; i < routes.size(); ++i) {
    Component c;
    c.id = "c" + std::to_string(i);
    app.components.push_back(c);
    app.routes.push_back({routes[i], i, {}});
  }
  return app;
}
std::string who(const Router& r, const std::string& path) {
  auto m = r.match(path);
  return m ? "c" + std::to_string(m->route) : "404";
}
}  // namespace

TEST(SpinRouter, ExactBeatsWildcardAndLongestPrefixWins) {
  for (bool reversed : {false, true}) {
    std::vector<std::string> routes = {"/...", "/foo/...", "/foo/bar/...", "/foo/bar"};
    if (reversed) std::reverse(routes.begin(), routes.end());
    Router r(make_app("/", routes));
    auto idx = [&](const std::string& route) {
      return "c" + std::to_string(std::find(routes.begin(), routes.end(), route) - routes.begin());
    };
    EXPECT_EQ(who(r, "/"), idx("/..."));
    EXPECT_EQ(who(r, "/other"), idx("/..."));
    EXPECT_EQ(who(r, "/foo"), idx("/foo/..."));
    EXPECT_EQ(who(r, "/foo/"), idx("/foo/..."));
    EXPECT_EQ(who(r, "/foobar"), idx("/..."));  // prefixes match at segment boundaries only
    EXPECT_EQ(who(r, "/foo/baz"), idx("/foo/..."));
    EXPECT_EQ(who(r, "/foo/bar"), idx("/foo/bar"));  // exact beats the longer wildcard
    EXPECT_EQ(who(r, "/foo/bar/"), idx("/foo/bar/..."));
    EXPECT_EQ(who(r, "/foo/bar/x/y"), idx("/foo/bar/..."));
  }
}

TEST(SpinRouter, NoMatchAndExactOnly) {
  Router r(make_app("/", {"/hello", "/a/b"}));
  EXPECT_EQ(who(r, "/hello"), "c0");
  EXPECT_EQ(who(r, "/hello/"), "404");
  EXPECT_EQ(who(r, "/hello/x"), "404");
  EXPECT_EQ(who(r, "/a"), "404");
  EXPECT_EQ(who(r, "/"), "404");
}

TEST(SpinRouter, BasePathAndHeaders) {
  Router r(make_app("/api/", {"/users/...", "/", "/ping"}));
  auto m = r.match("/api/users/42");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->based_route, "/api/users/...");
  EXPECT_EQ(m->raw_route, "/users/...");
  EXPECT_EQ(m->component_route, "/users");
  EXPECT_EQ(m->script_name, "/api/users");
  EXPECT_EQ(m->path_info, "/42");
  EXPECT_EQ(r.match("/api/users")->path_info, "");
  EXPECT_EQ(r.match("/api/users/")->path_info, "/");
  EXPECT_EQ(who(r, "/api/"), "c1");  // route "/" under base "/api/" is "/api/" exactly
  EXPECT_EQ(who(r, "/api"), "404");
  EXPECT_EQ(who(r, "/api/ping"), "c2");
  EXPECT_EQ(who(r, "/users/42"), "404");  // outside the base
}

TEST(SpinRouter, RootRouteWithRootBase) {
  Router r(make_app("/", {"/"}));
  EXPECT_EQ(who(r, "/"), "c0");
  EXPECT_EQ(who(r, "/x"), "404");
}

TEST(SpinRouter, DuplicateRouteLastWins) {
  Router r(make_app("/", {"/x/...", "/x/...", "/y", "/y"}));
  EXPECT_EQ(who(r, "/x/1"), "c1");
  EXPECT_EQ(who(r, "/y"), "c3");
  EXPECT_EQ(r.warnings().size(), 2u);
}
