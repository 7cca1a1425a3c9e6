// An OCI image (FROM scratch + one layer) as an OCI image-layout tar — the format `ctr image import`
// reads: oci-layout, index.json, blobs/sha256/<hex>. One platform gives index.json -> manifest; several
// give index.json -> image index -> one manifest per platform, all sharing the layer. Deterministic:
// JSON with sorted keys and no timestamps, so the same inputs give the same digests.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "wasipool/result.h"

namespace wasipool::oci {

struct Platform {
  std::string os;            // "wasi", "linux"
  std::string architecture;  // "wasm", "amd64"
};

struct ImageSpec {
  std::string reference;  // NAME:TAG as the user gave it (validated by parse_reference)
  std::string tag;
  std::vector<Platform> platforms;
  std::vector<std::string> entrypoint;  // image config Entrypoint (may be empty)
  std::vector<std::string> env;         // KEY=VALUE
};

// Checks NAME[:TAG] against the Docker reference grammar (lower-case path components separated by
// '/', an optional registry host[:port] first, tag [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}); TAG defaults to
// "latest". Returns the full reference "NAME:TAG" and sets *tag.
Result<std::string, std::string> parse_reference(std::string_view ref, std::string* tag);
// "wasi/wasm", "linux/amd64", "both" (= linux/amd64 + wasi/wasm) or a comma-separated list of OS/ARCH.
Result<std::vector<Platform>, std::string> parse_platforms(std::string_view text);

struct BuiltImage {
  std::string layout_tar;  // the whole image-layout archive
  std::string digest;      // of the manifest (one platform) or the image index (several)
};
Result<BuiltImage, std::string> build_image_layout(const ImageSpec& spec, const std::string& layer_tar);

}  // namespace wasipool::oci
