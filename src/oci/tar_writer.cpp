#include "oci/tar_writer.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace wasipool::oci {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kNameField = 100;
constexpr uint64_t kMaxOctal11 = 077777777777ull;  // 8 GiB - 1: the largest size 11 octal digits hold

void put_octal(char* field, size_t width, uint64_t v) {
  // width-1 zero-padded octal digits and a NUL, as GNU tar and Go's archive/tar write them.
  std::snprintf(field, width, "%0*llo", int(width - 1), static_cast<unsigned long long>(v));
}

Result<Ok, std::string> check_path(std::string_view p) {
  if (p.empty()) return fail(std::string("tar: empty entry name"));
  if (p.find('\0') != std::string_view::npos) return fail("tar: NUL byte in entry name '" + std::string(p) + "'");
  if (p.front() == '/') return fail("tar: absolute entry name '" + std::string(p) + "'");
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    if (p.substr(start, end - start) == "..") return fail("tar: '..' in entry name '" + std::string(p) + "'");
    start = end + 1;
  }
  return Ok{};
}

// One PAX record: "<len> key=value\n", where <len> counts the whole record including its own digits.
std::string pax_record(std::string_view key, std::string_view value) {
  size_t body = 1 + key.size() + 1 + value.size() + 1;  // " key=value\n"
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len = std::to_string(len).size() + body;
  return std::to_string(len) + " " + std::string(key) + "=" + std::string(value) + "\n";
}

}  // namespace

void TarWriter::pad() { out_.append((kBlock - out_.size() % kBlock) % kBlock, '\0'); }

void TarWriter::header(char type, std::string_view name, std::string_view link, uint32_t mode, uint64_t size) {
  char h[kBlock] = {};
  std::memcpy(h, name.data(), std::min(name.size(), kNameField));
  put_octal(h + 100, 8, mode & 07777);
  put_octal(h + 108, 8, 0);  // uid
  put_octal(h + 116, 8, 0);  // gid
  put_octal(h + 124, 12, size);
  put_octal(h + 136, 12, 0);  // mtime: zero, for reproducible digests
  h[156] = type;
  std::memcpy(h + 157, link.data(), std::min(link.size(), kNameField));
  std::memcpy(h + 257, "ustar", 6);  // magic "ustar\0"
  std::memcpy(h + 263, "00", 2);
  put_octal(h + 329, 8, 0);
  put_octal(h + 337, 8, 0);
  std::memset(h + 148, ' ', 8);  // the checksum is computed with its own field read as spaces
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);  // six digits, NUL, and the space left from the memset
  out_.append(h, kBlock);
}

Result<Ok, std::string> TarWriter::add(char type, std::string path, std::string_view link, uint32_t mode,
                                       std::string_view content) {
  auto ok = check_path(path);
  if (!ok) return ok;
  if (type == '5' && path.back() != '/') path += '/';
  if (content.size() > kMaxOctal11) return fail("tar: '" + path + "' is larger than 8 GiB");
  if (path.size() > kNameField || link.size() > kNameField) {
    std::string pax;
    if (path.size() > kNameField) pax += pax_record("path", path);
    if (link.size() > kNameField) pax += pax_record("linkpath", link);
    // The PAX header's own name is informational; readers use the records. Keep it short and stable.
    header('x', "PaxHeaders/entry", "", 0644, pax.size());
    out_ += pax;
    pad();
  }
  header(type, path, link, mode, content.size());
  out_.append(content.data(), content.size());
  pad();
  return Ok{};
}

Result<Ok, std::string> TarWriter::add_file(std::string_view path, uint32_t mode, std::string_view content) {
  return add('0', std::string(path), "", mode, content);
}
Result<Ok, std::string> TarWriter::add_dir(std::string_view path, uint32_t mode) {
  return add('5', std::string(path), "", mode, "");
}
Result<Ok, std::string> TarWriter::add_symlink(std::string_view path, std::string_view target) {
  if (target.empty() || target.find('\0') != std::string_view::npos)
    return fail("tar: bad symlink target for '" + std::string(path) + "'");
  return add('2', std::string(path), target, 0777, "");
}

std::string TarWriter::finish() {
  out_.append(2 * kBlock, '\0');
  std::string done = std::move(out_);
  out_.clear();
  return done;
}

}  // namespace wasipool::oci
