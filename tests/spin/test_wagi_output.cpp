// WAGI stdout -> response, by Spin's compose_response rules.
#include <gtest/gtest.h>

#include "spin/component.h"

using wasipool::spin::parse_wagi_output;

namespace {
std::string header(const wasipool::http::Response& r, const std::string& name) {
  for (const auto& h : r.headers)
    if (h.name == name) return h.value;
  return "<none>";
}
}  // namespace

TEST(WagiOutput, ContentTypeAndBody) {
  auto r = parse_wagi_output("Content-Type: text/plain\n\nhello\n\nworld");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "content-type"), "text/plain");
  EXPECT_EQ(r.body, "hello\n\nworld");  // only the first blank line separates
}

TEST(WagiOutput, CrIgnoredInHeadersKeptInBody) {
  auto r = parse_wagi_output("Content-Type:  text/html \r\nX-A: 1\r\nX-A: 2\r\n\r\na\r\nb");
  EXPECT_EQ(header(r, "content-type"), "text/html");
  EXPECT_EQ(header(r, "x-a"), "2");  // last duplicate wins
  EXPECT_EQ(r.body, "a\r\nb");
}

TEST(WagiOutput, StatusAndLocation) {
  auto r = parse_wagi_output("Status: 404 Not Found\n\nmissing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "missing");
  auto l = parse_wagi_output("Location: /x\n\n");
  EXPECT_EQ(l.status, 302);
  EXPECT_EQ(header(l, "location"), "/x");
  auto ls = parse_wagi_output("Location: /x\nStatus: 301\n\n");
  EXPECT_EQ(ls.status, 301);  // an explicit Status wins over Location's 302
}

TEST(WagiOutput, InsufficientOrInvalid) {
  EXPECT_EQ(parse_wagi_output("").status, 500);
  EXPECT_EQ(parse_wagi_output("hello").status, 500);
  EXPECT_EQ(parse_wagi_output("X-Only: 1\n\nbody").status, 500);
  EXPECT_EQ(parse_wagi_output("Status: abc\n\n").status, 502);
  auto r = parse_wagi_output("garbage line\nContent-Type: a/b\n\n");
  EXPECT_EQ(r.status, 200);  // lines without ':' are dropped
  EXPECT_EQ(r.headers.size(), 1u);
}

TEST(WagiOutput, HeadersWithoutTerminator) {
  auto r = parse_wagi_output("Content-Type: text/plain\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
}
