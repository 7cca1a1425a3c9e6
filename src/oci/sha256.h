// SHA-256 (FIPS 180-4), the one implementation in the project: OCI blob digests (src/oci) and the shim's
// socket address (sha256 of <address>/<namespace>/<id>, src/shim). Pure computation, no allocation;
// a Sha256 object is single-threaded, separate objects are independent.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wasipool::oci {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::array<uint8_t, 32> finish();  // the object must not be updated afterwards

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

// Lower-case hex of sha256(data): 64 characters.
std::string sha256_hex(std::string_view data);
// "sha256:" + sha256_hex(data): an OCI digest.
std::string sha256_digest(std::string_view data);

}  // namespace wasipool::oci
