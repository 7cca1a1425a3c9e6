// A deterministic tar writer (POSIX ustar, PAX 'x' headers for names or link targets longer than the
// ustar fields). Every header has mtime 0, uid/gid 0 and empty user/group names, so the same entries in
// the same order give the same bytes, hence the same OCI digest. Writes into a std::string it owns
// (layers of wasm apps are small); single-threaded.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "wasipool/result.h"

namespace wasipool::oci {

class TarWriter {
 public:
  // Paths are relative, '/'-separated, without a leading "./" or "/"; a directory path gets a trailing
  // '/' added here. Errors: an empty path, a NUL byte, or ".." components (a layer entry that climbs out
  // of the rootfs is what tar-slip attacks use; we never produce one).
  Result<Ok, std::string> add_file(std::string_view path, uint32_t mode, std::string_view content);
  Result<Ok, std::string> add_dir(std::string_view path, uint32_t mode);
  Result<Ok, std::string> add_symlink(std::string_view path, std::string_view target);
  // Appends the two zero blocks that end an archive and returns it; the writer is empty afterwards.
  std::string finish();

 private:
  Result<Ok, std::string> add(char type, std::string path, std::string_view link, uint32_t mode,
                              std::string_view content);
  void header(char type, std::string_view name, std::string_view link, uint32_t mode, uint64_t size);
  void pad();
  std::string out_;
};

}  // namespace wasipool::oci
