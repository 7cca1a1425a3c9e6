// ttrpc framing: the 10-byte big-endian frame header, and blocking whole-frame reads and writes on a
// stream socket. Shared by the server (server.cpp) and the client (client.cpp); no state of its own.
//
// Threading: the functions are reentrant. Reads on one fd belong to one reader thread; writes on one fd
// must be serialised by the caller (both sides hold a per-connection write mutex) so frames never
// interleave.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "shim/ttrpc/ttrpc.h"

namespace wasipool::ttrpc {

inline constexpr size_t kHeaderSize = 10;

enum class MessageType : uint8_t { kRequest = 1, kResponse = 2, kData = 3 };

// Request flags (ttrpc 1.2 streaming); containerd 1.6 sends 0 (a unary call).
inline constexpr uint8_t kFlagRemoteClosed = 0x01;
inline constexpr uint8_t kFlagRemoteOpen = 0x02;

struct FrameHeader {
  uint32_t length = 0;  // data bytes after the header
  uint32_t stream_id = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
};

void encode_header(const FrameHeader& h, uint8_t out[kHeaderSize]);
FrameHeader decode_header(const uint8_t in[kHeaderSize]);

enum class ReadStatus {
  kFrame,      // header and data read
  kOversized,  // header read, length > kMaxMessageLength, data read and discarded
  kEof,        // orderly end before the first header byte
  kTruncated,  // the stream ended (or failed) inside a header or inside the data
};

struct Frame {
  FrameHeader header;
  std::string data;
};

// Reads one frame from a blocking fd, retrying EINTR and short reads. An oversized frame's data is read
// and thrown away in small chunks (never buffered whole) so the stream stays in sync and the caller can
// answer RESOURCE_EXHAUSTED on that stream.
ReadStatus read_frame(int fd, Frame* out);

// Writes header + data as one frame (one buffer, one send loop) with MSG_NOSIGNAL so a vanished peer
// yields EPIPE instead of killing the process. Returns 0 or an errno.
int write_frame(int fd, const FrameHeader& h, const std::string& data);

// Same, from an already built frame (header included).
int write_all(int fd, const void* data, size_t size);

// Bounds every send() on a connection (SO_SNDTIMEO). A peer that stops reading would otherwise park
// the writer — and on the server every writer of that connection plus shutdown() — on a full socket
// buffer forever; after this long the write fails and the connection is given up.
inline constexpr int kSendTimeoutSeconds = 30;
void set_send_timeout(int fd);

// Builds a ttrpc.Response frame's data for a status (+ payload when the status is OK).
std::string encode_response(const Status& status, const std::string& payload);

// The text the Go implementation uses for an oversized frame.
std::string oversized_message(uint32_t length);

}  // namespace wasipool::ttrpc
