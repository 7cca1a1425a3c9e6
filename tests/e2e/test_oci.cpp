// src/oci unit tests: sha256 against FIPS 180-2 vectors, the tar writer against GNU tar as the reader,
// layer determinism, reference and platform parsing, and the image-layout structure.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "oci/image_layout.h"
#include "oci/layer.h"
#include "oci/sha256.h"
#include "oci/tar_writer.h"

namespace wasipool::oci {
namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/oci_test.XXXXXX";
  return ::mkdtemp(tmpl);
}
void write(const std::string& path, const std::string& data) { std::ofstream(path, std::ios::binary) << data; }
std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
std::string sh(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha256_digest("abc").substr(0, 7), "sha256:");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += char(i * 7);
  for (size_t split : {0, 1, 55, 56, 63, 64, 65, 500, 1000}) {
    Sha256 s;
    s.update(data.substr(0, split));
    s.update(data.substr(split));
    auto d = s.finish();
    char hex[65];
    for (int i = 0; i < 32; ++i) std::snprintf(hex + 2 * i, 3, "%02x", d[i]);
    EXPECT_EQ(std::string(hex), sha256_hex(data)) << "split " << split;
  }
}

TEST(TarWriter, GnuTarReadsItBack) {
  std::string long_name = "a/" + std::string(150, 'n') + ".txt";
  std::string long_target = std::string(120, 't');
  TarWriter t;
  ASSERT_TRUE(t.add_dir("a", 0755));
  ASSERT_TRUE(t.add_file("a/x.txt", 0640, "hello\n"));
  ASSERT_TRUE(t.add_file(long_name, 0755, std::string(1000, 'z')));
  ASSERT_TRUE(t.add_symlink("a/link", "x.txt"));
  ASSERT_TRUE(t.add_symlink("a/longlink", long_target));
  std::string tar = t.finish();
  EXPECT_EQ(tar.size() % 512, 0u);
  std::string d = temp_dir();
  write(d + "/t.tar", tar);
  std::string listing = sh("tar -tvf " + d + "/t.tar 2>&1");
  EXPECT_NE(listing.find("-rw-r----- 0/0               6 1970-01-01 00:00 a/x.txt"), std::string::npos) << listing;
  EXPECT_NE(listing.find(long_name), std::string::npos) << listing;
  EXPECT_NE(listing.find("a/longlink -> " + long_target), std::string::npos) << listing;
  ASSERT_EQ(sh("mkdir " + d + "/x && tar -xf " + d + "/t.tar -C " + d + "/x 2>&1"), "");
  EXPECT_EQ(read(d + "/x/a/x.txt"), "hello\n");
  EXPECT_EQ(read(d + "/x/" + long_name), std::string(1000, 'z'));
  EXPECT_EQ(read(d + "/x/a/link"), "hello\n");
  struct stat st;
  ASSERT_EQ(::stat((d + "/x/" + long_name).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  sh("rm -rf " + d);
}

TEST(TarWriter, RejectsEscapingNames) {
  TarWriter t;
  EXPECT_FALSE(t.add_file("../x", 0644, ""));
  EXPECT_FALSE(t.add_file("a/../../x", 0644, ""));
  EXPECT_FALSE(t.add_file("/etc/passwd", 0644, ""));
  EXPECT_FALSE(t.add_file("", 0644, ""));
  EXPECT_FALSE(t.add_symlink("l", ""));
  EXPECT_TRUE(t.add_file("a..b", 0644, ""));
}

TEST(Layer, DeterministicAndModeSensitive) {
  std::string d = temp_dir();
  sh("mkdir -p " + d + "/app/sub && echo hi > " + d + "/app/sub/f && echo m > " + d + "/app/b.wasm && ln -s sub/f " +
     d + "/app/l");
  auto a = layer_from_dir(d + "/app");
  ASSERT_TRUE(a) << a.error();
  sh("touch -d 2001-01-01 " + d + "/app/b.wasm " + d + "/app/sub");
  auto b = layer_from_dir(d + "/app");
  ASSERT_TRUE(b);
  EXPECT_EQ(sha256_hex(*a), sha256_hex(*b)) << "mtimes must not change the digest";
  write(d + "/l.tar", *a);
  EXPECT_EQ(sh("tar -tf " + d + "/l.tar"), "b.wasm\nl\nsub/\nsub/f\n");
  sh("chmod 700 " + d + "/app/b.wasm");
  auto c = layer_from_dir(d + "/app");
  ASSERT_TRUE(c);
  EXPECT_NE(sha256_hex(*a), sha256_hex(*c));
  sh("rm -rf " + d);
}

TEST(Layer, RejectsSpecialFilesWhiteoutsAndMissingDir) {
  std::string d = temp_dir();
  auto missing = layer_from_dir(d + "/nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find(d + "/nope"), std::string::npos) << missing.error();
  sh("mkdir " + d + "/f && mkfifo " + d + "/f/p && mkdir " + d + "/w && touch " + d + "/w/.wh.x");
  auto fifo = layer_from_dir(d + "/f");
  ASSERT_FALSE(fifo);
  EXPECT_NE(fifo.error().find("/f/p"), std::string::npos) << fifo.error();
  auto wh = layer_from_dir(d + "/w");
  ASSERT_FALSE(wh);
  EXPECT_NE(wh.error().find(".wh."), std::string::npos) << wh.error();
  sh("rm -rf " + d);
}

TEST(Reference, Grammar) {
  std::string tag;
  auto r = parse_reference("hello", &tag);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "hello:latest");
  EXPECT_EQ(tag, "latest");
  r = parse_reference("localhost:5000/apps/hello-world:v1.2", &tag);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, "localhost:5000/apps/hello-world:v1.2");
  EXPECT_EQ(tag, "v1.2");
  EXPECT_TRUE(parse_reference("docker.io/library/a__b:x_y", &tag));
  for (const char* bad : {"", "Hello:v1", "hello:", "hello:-x", "hello@sha256:00", "a//b:v", "a/:v", "-a:v",
                          "a-:v", "host:port/x:v", "a b:v"})
    EXPECT_FALSE(parse_reference(bad, &tag)) << bad;
}

TEST(Platforms, Parse) {
  auto p = parse_platforms("wasi/wasm");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].os, "wasi");
  EXPECT_EQ((*p)[0].architecture, "wasm");
  p = parse_platforms("both");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->size(), 2u);
  EXPECT_TRUE(parse_platforms("linux/amd64,wasi/wasm"));
  for (const char* bad : {"", "wasi", "wasi/", "/wasm", "wasi/wasm,", "Linux/amd64", "wasi/wasm,wasi/wasm"})
    EXPECT_FALSE(parse_platforms(bad)) << bad;
}

// The archive holds what the OCI image-layout spec requires and every blob's name is its digest.
TEST(ImageLayout, StructureAndDigests) {
  TarWriter lt;
  ASSERT_TRUE(lt.add_file("app.wasm", 0644, "\0asm"));
  std::string layer = lt.finish();
  ImageSpec spec{"hello:v1", "v1", {{"wasi", "wasm"}, {"linux", "amd64"}}, {"/app.wasm"}, {"A=1"}};
  auto img = build_image_layout(spec, layer);
  ASSERT_TRUE(img) << img.error();
  auto again = build_image_layout(spec, layer);
  EXPECT_EQ(img->layout_tar, again->layout_tar);
  std::string d = temp_dir();
  write(d + "/i.tar", img->layout_tar);
  ASSERT_EQ(sh("tar -xf " + d + "/i.tar -C " + d + " 2>&1"), "");
  EXPECT_EQ(nlohmann::json::parse(read(d + "/oci-layout"))["imageLayoutVersion"], "1.0.0");
  auto index = nlohmann::json::parse(read(d + "/index.json"));
  ASSERT_EQ(index["manifests"].size(), 1u);
  auto top = index["manifests"][0];
  EXPECT_EQ(top["annotations"]["io.containerd.image.name"], "hello:v1");
  EXPECT_EQ(top["annotations"]["org.opencontainers.image.ref.name"], "v1");
  EXPECT_EQ(top["mediaType"], "application/vnd.oci.image.index.v1+json");
  EXPECT_EQ(top["digest"], img->digest);
  std::string blobs = sh("cd " + d + "/blobs/sha256 && for f in *; do echo \"$f $(sha256sum < $f | cut -c1-64)\"; done");
  std::istringstream lines(blobs);
  std::string name, sum;
  int n = 0;
  while (lines >> name >> sum) {
    EXPECT_EQ(name, sum);
    ++n;
  }
  EXPECT_EQ(n, 1 + 1 + 2 + 2);  // layer, index, 2 manifests, 2 configs
  auto inner = nlohmann::json::parse(read(d + "/blobs/sha256/" + img->digest.substr(7)));
  ASSERT_EQ(inner["manifests"].size(), 2u);
  auto manifest = nlohmann::json::parse(read(d + "/blobs/sha256/" + inner["manifests"][0]["digest"].get<std::string>().substr(7)));
  EXPECT_EQ(manifest["layers"][0]["digest"], sha256_digest(layer));
  auto config = nlohmann::json::parse(read(d + "/blobs/sha256/" + manifest["config"]["digest"].get<std::string>().substr(7)));
  EXPECT_EQ(config["os"], inner["manifests"][0]["platform"]["os"]);
  EXPECT_EQ(config["rootfs"]["diff_ids"][0], sha256_digest(layer));
  EXPECT_EQ(config["config"]["Entrypoint"][0], "/app.wasm");
  sh("rm -rf " + d);
}

}  // namespace
}  // namespace wasipool::oci
