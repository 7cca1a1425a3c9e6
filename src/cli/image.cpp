// `wasipool image build DIR -t NAME:TAG -o IMAGE.tar` (owner: oci): packages a directory as an OCI image
// FROM scratch, written as an OCI image-layout tar for `ctr image import` — shipping a wasm app to a
// containerd node without docker. The format work is in src/oci; this file is argument handling and I/O.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"
#include "oci/image_layout.h"
#include "oci/layer.h"

namespace wasipool::cli {
namespace {

void usage(std::FILE* out) {
  std::fputs(
      "usage: wasipool image build DIR -t NAME[:TAG] -o IMAGE.tar [OPTIONS]\n"
      "Packages DIR (files, directories, symlinks; owners and times zeroed, so the same input gives the\n"
      "same digest) as a one-layer OCI image FROM scratch, written as an OCI image-layout tar that\n"
      "`ctr image import IMAGE.tar` names NAME:TAG.\n"
      "options:\n"
      "  -t, --tag NAME[:TAG]     image name (TAG defaults to latest)\n"
      "  -o, --output FILE        the image-layout tar to write\n"
      "  --platform P             wasi/wasm (default), linux/amd64, both, or a comma-separated OS/ARCH list;\n"
      "                           several platforms give an image index with one manifest per platform\n"
      "  --entrypoint ARG         the image's Entrypoint, one argument per use (repeat for more). Default:\n"
      "                           \"/\" when DIR has spin.toml or slightfile.toml, else /<M>.wasm when DIR\n"
      "                           holds exactly one top-level .wasm file M, else none\n"
      "  --env NAME=VALUE         an Env entry of the image config (repeatable)\n"
      "  -h, --help               show this help\n"
      "prints NAME:TAG and the image's digest (of the manifest, or of the index for several platforms).\n"
      "exit status: 0 on success, 2 on any error (missing DIR, bad name, bad option, unwritable output).\n",
      out);
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "wasipool image: %s\n", msg.c_str());
  return 2;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// The entrypoint an app directory implies when --entrypoint is not given (see usage()).
std::vector<std::string> default_entrypoint(const std::string& dir) {
  // Kubernetes refuses a container whose image has neither Entrypoint nor Cmd ("no command specified");
  // the Spin/slight shims ignore the value, so "/" (what the seed's pod specs write) is enough.
  if (exists(dir + "/spin.toml") || exists(dir + "/slightfile.toml")) return {"/"};
  std::vector<std::string> wasm;
  if (auto* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.compare(n.size() - 5, 5, ".wasm") == 0 && n[0] != '.') wasm.push_back(n);
    }
    ::closedir(d);
  }
  if (wasm.size() == 1) return {"/" + wasm[0]};
  return {};
}

// Writes `data` to `path` through a temporary file in the same directory and rename(), so a reader never
// sees half an image and a failed build leaves no file behind.
bool write_atomically(const std::string& path, const std::string& data, std::string* err) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return *err = "cannot write " + path + ": " + std::strerror(errno), false;
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = "cannot write " + tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    off += size_t(n);
  }
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    *err = "cannot write " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

int build_main(int argc, char** argv) {
  std::string dir, ref, out, platform = "wasi/wasm";
  std::vector<std::string> entrypoint, env;
  bool have_entrypoint = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= argc) return false;
      *dst = argv[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else if (a == "-t" || a == "--tag") {
      if (!value(&ref)) return usage_error("-t needs NAME[:TAG]");
    } else if (a == "-o" || a == "--output") {
      if (!value(&out)) return usage_error("-o needs a file name");
    } else if (a == "--platform") {
      if (!value(&platform)) return usage_error("--platform needs a value");
    } else if (a == "--entrypoint") {
      if (!value(&v)) return usage_error("--entrypoint needs a value");
      entrypoint.push_back(v);
      have_entrypoint = true;
    } else if (a == "--env") {
      if (!value(&v)) return usage_error("--env needs NAME=VALUE");
      if (v.find('=') == std::string::npos || v[0] == '=') return usage_error("--env '" + v + "': expected NAME=VALUE");
      env.push_back(v);
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unknown option '" + a + "' (see wasipool image build --help)");
    } else if (dir.empty()) {
      dir = a;
    } else {
      return usage_error("more than one DIR ('" + dir + "' and '" + a + "')");
    }
  }
  if (dir.empty()) return usage_error("missing DIR (wasipool image build DIR -t NAME:TAG -o IMAGE.tar)");
  if (ref.empty()) return usage_error("missing -t NAME[:TAG]");
  if (out.empty()) return usage_error("missing -o IMAGE.tar");

  oci::ImageSpec spec;
  auto full = oci::parse_reference(ref, &spec.tag);
  if (!full) return usage_error(full.error());
  spec.reference = *full;
  auto platforms = oci::parse_platforms(platform);
  if (!platforms) return usage_error(platforms.error());
  spec.platforms = *platforms;
  bool has_linux = false;
  for (const auto& p : spec.platforms) has_linux |= p.os == "linux";
  if (spec.platforms.size() > 1 && !has_linux)
    std::fputs("wasipool image: warning: containerd 1.6 rejects an image index without a linux/<arch> entry "
               "(\"no match for platform in manifest\"); add linux/amd64 or build a single platform\n", stderr);
  spec.entrypoint = have_entrypoint ? entrypoint : default_entrypoint(dir);
  spec.env = env;

  auto layer = oci::layer_from_dir(dir);
  if (!layer) return usage_error(layer.error());
  auto image = oci::build_image_layout(spec, *layer);
  if (!image) return usage_error(image.error());
  std::string err;
  if (!write_atomically(out, image->layout_tar, &err)) {
    std::fprintf(stderr, "wasipool image: %s\n", err.c_str());
    return 2;
  }
  std::printf("%s %s\n", spec.reference.c_str(), image->digest.c_str());
  return 0;
}

}  // namespace

int image_main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "build")) return build_main(argc - 1, argv + 1);
  return usage_error(std::string("unknown subcommand '") + argv[1] + "' (only: build)");
}

}  // namespace wasipool::cli
