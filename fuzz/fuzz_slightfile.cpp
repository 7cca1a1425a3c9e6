// libFuzzer target (owner: slight): arbitrary bytes as a slightfile.toml through load_slightfile (toml++
// parse, then the 0.1/0.2 rules). The file is operator input, but under the shim it comes from an image,
// so it must never crash the host. Oracles beyond "does not crash": a failure is one line that starts with
// the file's path; a success has specversion "0.1" or "0.2", non-empty resources and names, and 0.1
// capabilities named by their resource.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "slight/slightfile.h"

namespace {

const std::string& temp_path() {
  static const std::string path = [] {
    char tmpl[] = "/tmp/fuzz-slightfile-XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd < 0) std::abort();
    ::close(fd);
    return std::string(tmpl);
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = temp_path();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  auto r = wasipool::slight::load_slightfile(path);
  if (!r.ok()) {
    const std::string& e = r.error();
    if (e.compare(0, path.size(), path) != 0 || e.find('\n') != std::string::npos) std::abort();
    return 0;
  }
  if (r->specversion != "0.1" && r->specversion != "0.2") std::abort();
  for (const auto& c : r->capabilities) {
    if (c.resource.empty() || c.name.empty()) std::abort();
    if (r->specversion == "0.1" && c.name != c.resource) std::abort();
  }
  return 0;
}
