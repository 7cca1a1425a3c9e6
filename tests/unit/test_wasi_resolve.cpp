// The WASI sandbox resolver (owner: wasi), tested directly on a real directory tree under both
// strategies: openat2(RESOLVE_BENEATH) and the descriptor-by-descriptor walk must agree on every
// case, and no case may resolve to anything outside the root.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "wasi/path_resolve.h"

namespace wasipool::wasi {
namespace {

class ResolveTest : public ::testing::TestWithParam<bool> {  // true = openat2, false = walk
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/wasipool-resolve-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_path_ = base_ + "/root";
    mk("root");
    mk("root/a");
    mk("root/a/b");
    file("root/a/b/c.txt");
    file("root/file");
    mk("outside");
    file("outside/secret");
    ln("../outside", "root/out");
    ln(base_ + "/outside", "root/absout");
    ln("a/b", "root/inlink");
    ln("../..", "root/a/up2");
    ln("loop2", "root/loop1");
    ln("loop1", "root/loop2");
    ln("nowhere", "root/dangling");
    // A chain of 30 links that stays inside, and one of 45 (past the limit).
    ln("a", "root/chain30_0");
    for (int i = 1; i < 30; ++i) ln("chain30_" + std::to_string(i - 1), "root/chain30_" + std::to_string(i));
    ln("a", "root/chain45_0");
    for (int i = 1; i < 45; ++i) ln("chain45_" + std::to_string(i - 1), "root/chain45_" + std::to_string(i));
    root_ = ::open(root_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_, 0);
  }
  void TearDown() override {
    ::close(root_);
    std::string cmd = "rm -rf '" + base_ + "'";
    (void)std::system(cmd.c_str());
  }
  void mk(const std::string& p) { ASSERT_EQ(::mkdir((base_ + "/" + p).c_str(), 0755), 0); }
  void file(const std::string& p) { std::ofstream(base_ + "/" + p) << "x"; }
  void ln(const std::string& target, const std::string& p) {
    ASSERT_EQ(::symlink(target.c_str(), (base_ + "/" + p).c_str()), 0);
  }
  uint16_t resolve(const std::string& path, bool follow, ResolvedPath& out, bool slash_follows = true) {
    ResolveOptions o{follow, slash_follows};
    if (GetParam()) {
      int r = resolve_openat2(root_, path, o, out);
      if (r < 0) {
        ADD_FAILURE() << "openat2 unavailable on this kernel";
        return 0xffff;
      }
      return static_cast<uint16_t>(r);
    }
    return resolve_walk(root_, path, o, out);
  }
  // The inode of the resolved parent must be that of `rel` (relative to base_).
  void expect_parent(const ResolvedPath& rp, const std::string& rel) {
    struct stat a, b;
    ASSERT_EQ(::fstat(rp.parent, &a), 0);
    ASSERT_EQ(::stat((base_ + "/" + rel).c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino) << "parent is not " << rel;
  }
  std::string base_, root_path_;
  int root_ = -1;
};

TEST_P(ResolveTest, PlainPaths) {
  ResolvedPath rp;
  ASSERT_EQ(resolve("a/b/c.txt", false, rp), abi::kSuccess);
  expect_parent(rp, "root/a/b");
  EXPECT_EQ(rp.name, "c.txt");
  ASSERT_EQ(resolve("a//b/./c.txt", false, rp), abi::kSuccess);
  expect_parent(rp, "root/a/b");
  ASSERT_EQ(resolve("a/..", false, rp), abi::kSuccess);
  expect_parent(rp, "root");
  EXPECT_EQ(rp.name, ".");
  ASSERT_EQ(resolve("a/b/", false, rp), abi::kSuccess);
  expect_parent(rp, "root/a");
  EXPECT_EQ(rp.name, "b");
  EXPECT_TRUE(rp.trailing_slash);
  ASSERT_EQ(resolve(".", false, rp), abi::kSuccess);
  EXPECT_EQ(rp.name, ".");
}

TEST_P(ResolveTest, RefusesEscapes) {
  ResolvedPath rp;
  EXPECT_EQ(resolve("..", false, rp), abi::kNotCapable);
  EXPECT_EQ(resolve("../root/file", false, rp), abi::kNotCapable);
  EXPECT_EQ(resolve("a/../../outside/secret", false, rp), abi::kNotCapable);
  EXPECT_EQ(resolve("/etc/passwd", false, rp), abi::kNotCapable);
  EXPECT_EQ(resolve((base_ + "/outside/secret").c_str(), false, rp), abi::kNotCapable);
  EXPECT_EQ(resolve("out/secret", false, rp), abi::kNotCapable);
  EXPECT_EQ(resolve("absout/secret", false, rp), abi::kNotCapable);
  EXPECT_EQ(resolve("out", true, rp), abi::kNotCapable);
  EXPECT_EQ(resolve("out/", false, rp), abi::kNotCapable);  // trailing slash follows
  EXPECT_EQ(resolve("a/up2/outside/secret", false, rp), abi::kNotCapable);
  EXPECT_EQ(resolve("a/up2", true, rp), abi::kNotCapable);
}

TEST_P(ResolveTest, FinalSymlinkOnlyFollowedWhenAsked) {
  ResolvedPath rp;
  ASSERT_EQ(resolve("out", false, rp), abi::kSuccess);  // the link itself, in root
  expect_parent(rp, "root");
  EXPECT_EQ(rp.name, "out");
  ASSERT_EQ(resolve("out/", false, rp, /*slash_follows=*/false), abi::kSuccess);  // entry ops
  EXPECT_EQ(rp.name, "out");
  EXPECT_TRUE(rp.trailing_slash);
  ASSERT_EQ(resolve("inlink", true, rp), abi::kSuccess);
  expect_parent(rp, "root/a");
  EXPECT_EQ(rp.name, "b");
  ASSERT_EQ(resolve("inlink/c.txt", false, rp), abi::kSuccess);
  expect_parent(rp, "root/a/b");
}

TEST_P(ResolveTest, LoopsDanglingAndChains) {
  ResolvedPath rp;
  EXPECT_EQ(resolve("loop1", true, rp), abi::kLoop);
  EXPECT_EQ(resolve("loop1/x", false, rp), abi::kLoop);
  ASSERT_EQ(resolve("dangling", true, rp), abi::kSuccess);  // resolves; the open gives ENOENT
  EXPECT_EQ(rp.name, "nowhere");
  EXPECT_EQ(resolve("dangling/x", false, rp), abi::kNoEnt);
  ASSERT_EQ(resolve("chain30_29/b/c.txt", false, rp), abi::kSuccess);
  expect_parent(rp, "root/a/b");
  EXPECT_EQ(resolve("chain45_44/b/c.txt", false, rp), abi::kLoop);
  EXPECT_EQ(resolve("file/x", false, rp), abi::kNotDir);
  EXPECT_EQ(resolve("missing/x", false, rp), abi::kNoEnt);
  EXPECT_EQ(resolve("", false, rp), abi::kNoEnt);
  EXPECT_EQ(resolve(std::string("a\0b", 3), false, rp), abi::kInval);
}

INSTANTIATE_TEST_SUITE_P(Strategies, ResolveTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "openat2" : "walk"; });

}  // namespace
}  // namespace wasipool::wasi
