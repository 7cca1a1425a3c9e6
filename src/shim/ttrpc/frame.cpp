// ttrpc frame header encoding and whole-frame socket I/O (see frame.h).
#include "shim/ttrpc/frame.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "ttrpc.pb.h"

namespace wasipool::ttrpc {

namespace {

void put_u32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

uint32_t get_u32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// Reads exactly n bytes. Returns n on success, or how many bytes were read before EOF/error.
size_t read_exact(int fd, void* buf, size_t n) {
  auto* p = static_cast<uint8_t*>(buf);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, p + got, n - got);
    if (r > 0) {
      got += size_t(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // 0 = EOF; other errors (ECONNRESET, EBADF after shutdown) end the stream too
    }
  }
  return got;
}

}  // namespace

void encode_header(const FrameHeader& h, uint8_t out[kHeaderSize]) {
  put_u32(out, h.length);
  put_u32(out + 4, h.stream_id);
  out[8] = h.type;
  out[9] = h.flags;
}

FrameHeader decode_header(const uint8_t in[kHeaderSize]) {
  FrameHeader h;
  h.length = get_u32(in);
  h.stream_id = get_u32(in + 4);
  h.type = in[8];
  h.flags = in[9];
  return h;
}

ReadStatus read_frame(int fd, Frame* out) {
  uint8_t hdr[kHeaderSize];
  size_t got = read_exact(fd, hdr, kHeaderSize);
  if (got == 0) return ReadStatus::kEof;
  if (got < kHeaderSize) return ReadStatus::kTruncated;
  out->header = decode_header(hdr);
  out->data.clear();
  if (out->header.length > kMaxMessageLength) {
    // Drain rather than allocate: the length is peer-controlled (up to 4 GiB) and must never size a
    // buffer. Draining keeps the stream in sync so the connection stays usable.
    uint8_t sink[16384];
    uint64_t left = out->header.length;
    while (left > 0) {
      size_t want = size_t(std::min<uint64_t>(left, sizeof sink));
      size_t r = read_exact(fd, sink, want);
      if (r < want) return ReadStatus::kTruncated;
      left -= r;
    }
    return ReadStatus::kOversized;
  }
  if (out->header.length > 0) {
    // Grow as bytes arrive rather than trusting the header up front: a peer that announces 4 MiB and
    // sends 10 bytes costs us 64 KiB, not 4 MiB per connection.
    size_t want = out->header.length;
    size_t have = 0;
    while (have < want) {
      size_t step = std::min<size_t>(want - have, std::max<size_t>(have, 65536));
      out->data.resize(have + step);
      size_t r = read_exact(fd, out->data.data() + have, step);
      have += r;
      if (r < step) {
        out->data.resize(have);
        return ReadStatus::kTruncated;
      }
    }
  }
  return ReadStatus::kFrame;
}

int write_all(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  size_t done = 0;
  while (done < size) {
    // MSG_NOSIGNAL: a peer that closed its end must give EPIPE here, not a process-killing SIGPIPE.
    ssize_t w = ::send(fd, p + done, size - done, MSG_NOSIGNAL);
    if (w > 0) {
      done += size_t(w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && errno == ENOTSOCK) {
      // Not a socket (a pipe in a test): plain write. SIGPIPE is then the caller's business.
      w = ::write(fd, p + done, size - done);
      if (w > 0) {
        done += size_t(w);
      } else if (!(w < 0 && errno == EINTR)) {
        return w < 0 ? errno : EIO;
      }
    } else {
      return w < 0 ? errno : EIO;
    }
  }
  return 0;
}

int write_frame(int fd, const FrameHeader& h, const std::string& data) {
  std::string buf;
  buf.resize(kHeaderSize + data.size());
  FrameHeader hh = h;
  hh.length = uint32_t(data.size());
  encode_header(hh, reinterpret_cast<uint8_t*>(buf.data()));
  std::copy(data.begin(), data.end(), buf.begin() + kHeaderSize);
  return write_all(fd, buf.data(), buf.size());
}

void set_send_timeout(int fd) {
  timeval tv{kSendTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::string encode_response(const Status& status, const std::string& payload) {
  ::ttrpc::Response resp;
  if (!status.ok()) {
    auto* st = resp.mutable_status();
    st->set_code(int32_t(status.code));
    st->set_message(status.message);
  } else if (!payload.empty()) {
    resp.set_payload(payload);
  }
  std::string out;
  resp.SerializeToString(&out);
  return out;
}

std::string oversized_message(uint32_t length) {
  return "message length " + std::to_string(length) + " exceed maximum message size of " +
         std::to_string(kMaxMessageLength);
}

}  // namespace wasipool::ttrpc
