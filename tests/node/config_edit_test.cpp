// Properties of the textual config edit, over the fixtures and thousands of byte-level mutations of
// them: analyse/plan never crash on any input; whenever an edit is planned, (1) every original line is
// still there in order (only lines were inserted), (2) removing our marked lines gives back the original,
// (3) the result parses and registers all three handlers, (4) planning again on the result is a no-op.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "node/containerd_config.h"

namespace {

using wasipool::node::analyse_config;
using wasipool::node::plan_install;
using wasipool::node::strip_install_lines;

std::string read(const std::string& name) {
  std::ifstream f(std::string(NODE_FIXTURES) + "/" + name, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Returns true when an edit was planned (and checked).
bool check_edit(const std::string& text) {
  std::string error;
  auto a = analyse_config(text, "config.toml", 2, &error);
  if (!a) {
    EXPECT_NE(error.find("config.toml:"), std::string::npos) << "error without file:line: " << error;
    return false;
  }
  if (a->all_registered() && a->default_runtime_defined) return false;
  auto edit = plan_install(text, "config.toml", *a, &error);
  if (!edit) {
    EXPECT_FALSE(error.empty());
    return false;
  }
  // (1) the original is a subsequence of the result, line by line
  std::size_t pos = 0;
  std::istringstream orig(text);
  for (std::string line; std::getline(orig, line);) {
    std::size_t at = edit->text.find(line, pos);
    EXPECT_NE(at, std::string::npos) << "lost line: " << line;
    if (at == std::string::npos) return true;
    pos = at + line.size();
  }
  // (2) strip gives the original back (plus the newline a last line without one gets)
  std::string stripped = strip_install_lines(edit->text);
  bool no_final_newline = !text.empty() && text.back() != '\n';
  EXPECT_TRUE(stripped == text || (no_final_newline && stripped == text + "\n") ||
              (no_final_newline && stripped == text + "\r\n"))
      << "strip did not restore:\n" << text << "\n---\n" << edit->text;
  // (3) all registered; (4) idempotent
  auto after = analyse_config(edit->text, "config.toml", 2, &error);
  EXPECT_TRUE(after && after->all_registered()) << error << "\n" << edit->text;
  EXPECT_TRUE(!after || after->default_runtime != "runc" || after->default_runtime_defined) << edit->text;
  return true;
}

TEST(NodeConfigEdit, Fixtures) {
  for (const char* f : {"containerd-1.6.toml", "containerd-2.0.toml", "partial.toml", "comments-crlf.toml",
                        "debian-bookworm.toml"})
    EXPECT_TRUE(check_edit(read(f))) << f;
  EXPECT_FALSE(check_edit(read("bad.toml")));
  EXPECT_FALSE(check_edit(read("taken.toml")));
}

TEST(NodeConfigEdit, MutatedInputsNeverBreakTheProperties) {
  const std::string seeds[] = {read("containerd-1.6.toml"), read("containerd-2.0.toml"), read("partial.toml"),
                               read("debian-bookworm.toml")};
  std::mt19937 rng(7);  // fixed seed: the same inputs every run
  const std::string alphabet = "[]\"'.=\n\r# \tabcruntimes{}spin,0123";
  int planned = 0, total = 0;
  for (const std::string& seed : seeds) {
    for (int i = 0; i < 1500; ++i) {
      std::string t = seed;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !t.empty(); ++e) {
        std::size_t at = rng() % t.size();
        switch (rng() % 3) {
          case 0: t[at] = alphabet[rng() % alphabet.size()]; break;
          case 1: t.erase(at, 1 + rng() % 8); break;
          default: t.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        }
      }
      ++total;
      if (check_edit(t)) ++planned;
      if (HasFailure()) return;
    }
  }
  std::printf("planned %d of %d\n", planned, total);
  // Most mutations break the TOML; enough must still parse for the properties to be exercised.
  EXPECT_GT(planned, total / 20) << planned << " of " << total;
}

}  // namespace
