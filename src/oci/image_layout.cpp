#include "oci/image_layout.h"

#include <map>
#include <nlohmann/json.hpp>

#include "oci/sha256.h"
#include "oci/tar_writer.h"

namespace wasipool::oci {
namespace {

using nlohmann::json;

constexpr const char* kIndexType = "application/vnd.oci.image.index.v1+json";
constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kConfigType = "application/vnd.oci.image.config.v1+json";
constexpr const char* kLayerType = "application/vnd.oci.image.layer.v1.tar";
// containerd's importer names an image after this annotation verbatim; without it, ctr 1.6 prefixes
// org.opencontainers.image.ref.name with "import-<date>" unless the user passes --base-name.
constexpr const char* kContainerdName = "io.containerd.image.name";
constexpr const char* kRefName = "org.opencontainers.image.ref.name";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// path-component := [a-z0-9]+ ( ( '.' | '_' | '__' | '-'+ ) [a-z0-9]+ )*
bool valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size(); ++i) {
    char ch = c[i];
    if (is_lower_alnum(ch)) continue;
    if (ch == '-') continue;
    if (ch == '.' || ch == '_') {
      // a separator may not follow another separator, except "__"
      char prev = c[i - 1];
      if (!is_lower_alnum(prev) && !(ch == '_' && prev == '_' && (i < 2 || is_lower_alnum(c[i - 2]))))
        return false;
      continue;
    }
    return false;
  }
  return true;
}

// domain := host[:port], host components [A-Za-z0-9-]+ separated by '.'; it is the first component only
// when it contains '.' or ':' or is "localhost" (Docker's rule).
bool valid_domain(std::string_view d) {
  size_t colon = d.find(':');
  std::string_view host = d.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view port = d.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
      return false;
  }
  if (host.empty() || host.front() == '.' || host.back() == '.' || host.find("..") != std::string_view::npos)
    return false;
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!word && (i == 0 || (c != '.' && c != '-'))) return false;
  }
  return true;
}

json descriptor(const char* type, const std::string& blob) {
  return {{"mediaType", type}, {"digest", sha256_digest(blob)}, {"size", blob.size()}};
}

}  // namespace

Result<std::string, std::string> parse_reference(std::string_view ref, std::string* tag) {
  auto bad = [&](const std::string& why) {
    return fail("bad image name '" + std::string(ref) + "': " + why +
                " (expected NAME[:TAG], e.g. example.com/apps/hello:v1 or hello:latest)");
  };
  if (ref.empty()) return bad("empty");
  if (ref.size() > 255) return bad("longer than 255 characters");
  if (ref.find('@') != std::string_view::npos) return bad("digests (@sha256:...) are not accepted by -t");
  std::string_view name = ref;
  *tag = "latest";
  size_t slash = ref.rfind('/'), colon = ref.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    name = ref.substr(0, colon);
    *tag = std::string(ref.substr(colon + 1));
    if (!valid_tag(*tag)) return bad("tag '" + *tag + "' must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  }
  size_t start = 0;
  bool first = true;
  for (;;) {
    size_t end = name.find('/', start);
    std::string_view comp = name.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    bool is_domain = first && end != std::string_view::npos &&
                     (comp.find_first_of(".:") != std::string_view::npos || comp == "localhost");
    if (is_domain ? !valid_domain(comp) : !valid_component(comp))
      return bad("component '" + std::string(comp) + "' must be lower-case letters, digits and . _ -");
    if (end == std::string_view::npos) break;
    start = end + 1;
    first = false;
  }
  return std::string(name) + ":" + *tag;
}

Result<std::vector<Platform>, std::string> parse_platforms(std::string_view text) {
  if (text == "both") return std::vector<Platform>{{"linux", "amd64"}, {"wasi", "wasm"}};
  std::vector<Platform> out;
  size_t start = 0;
  for (;;) {
    size_t end = text.find(',', start);
    std::string_view item = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    size_t slash = item.find('/');
    Platform p;
    if (slash != std::string_view::npos) p = {std::string(item.substr(0, slash)), std::string(item.substr(slash + 1))};
    auto word = [](const std::string& s) {
      return !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    };
    if (!word(p.os) || !word(p.architecture))
      return fail("bad platform '" + std::string(item) + "': expected OS/ARCH (wasi/wasm, linux/amd64) or 'both'");
    for (const Platform& q : out)
      if (q.os == p.os && q.architecture == p.architecture) return fail("platform '" + std::string(item) + "' given twice");
    out.push_back(p);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

Result<BuiltImage, std::string> build_image_layout(const ImageSpec& spec, const std::string& layer_tar) {
  if (spec.platforms.empty()) return fail(std::string("image: no platform"));
  std::map<std::string, std::string> blobs;  // hex digest -> bytes (sorted: deterministic archive order)
  auto add_blob = [&](std::string bytes) {
    std::string hex = sha256_hex(bytes);
    blobs.emplace(hex, std::move(bytes));
  };
  // The layer is not compressed, so its diff_id (digest of the uncompressed tar) is its digest.
  json layer_desc = descriptor(kLayerType, layer_tar);
  add_blob(layer_tar);

  json manifests = json::array();
  for (const Platform& p : spec.platforms) {
    json config = {{"architecture", p.architecture},
                   {"os", p.os},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {sha256_digest(layer_tar)}}}},
                   {"config", json::object()}};
    if (!spec.entrypoint.empty()) config["config"]["Entrypoint"] = spec.entrypoint;
    if (!spec.env.empty()) config["config"]["Env"] = spec.env;
    std::string config_blob = config.dump();
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", kManifestType},
                     {"config", descriptor(kConfigType, config_blob)},
                     {"layers", {layer_desc}}};
    std::string manifest_blob = manifest.dump();
    json desc = descriptor(kManifestType, manifest_blob);
    desc["platform"] = {{"architecture", p.architecture}, {"os", p.os}};
    manifests.push_back(desc);
    add_blob(std::move(config_blob));
    add_blob(std::move(manifest_blob));
  }

  json top;
  if (manifests.size() == 1) {
    top = manifests[0];
    // ctr 1.6's import filters the top-level descriptors by the host platform (linux/amd64) before it
    // creates the image; a platform field of wasi/wasm here would make the plain import drop the image.
    top.erase("platform");
  } else {
    std::string index_blob = json{{"schemaVersion", 2}, {"mediaType", kIndexType}, {"manifests", manifests}}.dump();
    top = descriptor(kIndexType, index_blob);
    add_blob(std::move(index_blob));
  }
  top["annotations"] = {{kContainerdName, spec.reference}, {kRefName, spec.tag}};
  json index = {{"schemaVersion", 2}, {"mediaType", kIndexType}, {"manifests", {top}}};

  TarWriter tar;
  Result<Ok, std::string> ok = Ok{};
  auto step = [&](Result<Ok, std::string> r) { if (ok && !r) ok = std::move(r); };
  step(tar.add_file("oci-layout", 0644, R"({"imageLayoutVersion":"1.0.0"})"));
  step(tar.add_file("index.json", 0644, index.dump()));
  step(tar.add_dir("blobs", 0755));
  step(tar.add_dir("blobs/sha256", 0755));
  for (const auto& [hex, bytes] : blobs) step(tar.add_file("blobs/sha256/" + hex, 0644, bytes));
  if (!ok) return fail(ok.error());
  return BuiltImage{tar.finish(), top["digest"].get<std::string>()};
}

}  // namespace wasipool::oci
