// WASI ABI constants and guest-memory layouts for wasi_snapshot_preview1 and the legacy
// wasi_unstable (snapshot_0). Values come from the witx type definitions (wasi-libc's generated
// api.h is the authority for preview1; WebAssembly/WASI phases/old/snapshot_0/witx/typenames.witx
// for the legacy module). Internal to src/wasi.
#pragma once
#include <cstdint>

namespace wasipool::wasi::abi {

// Which import module a call came through: the two differ only in a few layouts and enum values.
enum class Flavor : uint8_t { Preview1, Unstable };

// ---- errno (identical in both flavors) ----------------------------------------------------------
constexpr uint16_t kSuccess = 0, k2Big = 1, kAcces = 2, kAddrInUse = 3, kAddrNotAvail = 4,
                   kAfNoSupport = 5, kAgain = 6, kAlready = 7, kBadf = 8, kBadMsg = 9, kBusy = 10,
                   kCanceled = 11, kChild = 12, kConnAborted = 13, kConnRefused = 14,
                   kConnReset = 15, kDeadlk = 16, kDestAddrReq = 17, kDom = 18, kDquot = 19,
                   kExist = 20, kFault = 21, kFbig = 22, kHostUnreach = 23, kIdrm = 24,
                   kIlseq = 25, kInProgress = 26, kIntr = 27, kInval = 28, kIo = 29, kIsConn = 30,
                   kIsDir = 31, kLoop = 32, kMfile = 33, kMlink = 34, kMsgSize = 35,
                   kMultihop = 36, kNameTooLong = 37, kNetDown = 38, kNetReset = 39,
                   kNetUnreach = 40, kNfile = 41, kNoBufs = 42, kNoDev = 43, kNoEnt = 44,
                   kNoExec = 45, kNoLck = 46, kNoLink = 47, kNoMem = 48, kNoMsg = 49,
                   kNoProtoOpt = 50, kNoSpc = 51, kNoSys = 52, kNotConn = 53, kNotDir = 54,
                   kNotEmpty = 55, kNotRecoverable = 56, kNotSock = 57, kNotSup = 58, kNotTy = 59,
                   kNxio = 60, kOverflow = 61, kOwnerDead = 62, kPerm = 63, kPipe = 64,
                   kProto = 65, kProtoNoSupport = 66, kProtoType = 67, kRange = 68, kRofs = 69,
                   kSpipe = 70, kSrch = 71, kStale = 72, kTimedOut = 73, kTxtBsy = 74, kXdev = 75,
                   kNotCapable = 76;

// Host errno -> WASI errno (unknown values become EIO rather than leaking host numbers).
uint16_t from_host_errno(int e);

// ---- rights (same bit positions in both flavors; sock_accept is preview1-only) ------------------
namespace rights {
constexpr uint64_t kFdDatasync = 1ull << 0, kFdRead = 1ull << 1, kFdSeek = 1ull << 2,
                   kFdFdstatSetFlags = 1ull << 3, kFdSync = 1ull << 4, kFdTell = 1ull << 5,
                   kFdWrite = 1ull << 6, kFdAdvise = 1ull << 7, kFdAllocate = 1ull << 8,
                   kPathCreateDirectory = 1ull << 9, kPathCreateFile = 1ull << 10,
                   kPathLinkSource = 1ull << 11, kPathLinkTarget = 1ull << 12, kPathOpen = 1ull << 13,
                   kFdReaddir = 1ull << 14, kPathReadlink = 1ull << 15,
                   kPathRenameSource = 1ull << 16, kPathRenameTarget = 1ull << 17,
                   kPathFilestatGet = 1ull << 18, kPathFilestatSetSize = 1ull << 19,
                   kPathFilestatSetTimes = 1ull << 20, kFdFilestatGet = 1ull << 21,
                   kFdFilestatSetSize = 1ull << 22, kFdFilestatSetTimes = 1ull << 23,
                   kPathSymlink = 1ull << 24, kPathRemoveDirectory = 1ull << 25,
                   kPathUnlinkFile = 1ull << 26, kPollFdReadwrite = 1ull << 27,
                   kSockShutdown = 1ull << 28, kSockAccept = 1ull << 29;
constexpr uint64_t kAll = (1ull << 30) - 1;

// What a regular file (or other non-directory stream) can meaningfully be asked to do.
constexpr uint64_t kFile = kFdDatasync | kFdRead | kFdSeek | kFdFdstatSetFlags | kFdSync | kFdTell |
                           kFdWrite | kFdAdvise | kFdAllocate | kFdFilestatGet |
                           kFdFilestatSetSize | kFdFilestatSetTimes | kPollFdReadwrite;
// What a directory can do (operations on the directory itself and on paths beneath it).
constexpr uint64_t kDirectory = kFdFdstatSetFlags | kFdSync | kFdAdvise | kPathCreateDirectory |
                                kPathCreateFile | kPathLinkSource | kPathLinkTarget | kPathOpen |
                                kFdReaddir | kPathReadlink | kPathRenameSource |
                                kPathRenameTarget | kPathFilestatGet | kPathFilestatSetSize |
                                kPathFilestatSetTimes | kFdFilestatGet | kFdFilestatSetTimes |
                                kPathSymlink | kPathRemoveDirectory | kPathUnlinkFile;
// Rights that modify the filesystem: stripped (base and inheriting) under a read-only preopen.
constexpr uint64_t kMutating = kFdDatasync | kFdWrite | kFdAllocate | kPathCreateDirectory |
                               kPathCreateFile | kPathLinkSource | kPathLinkTarget |
                               kPathRenameSource | kPathRenameTarget | kPathFilestatSetSize |
                               kPathFilestatSetTimes | kFdFilestatSetSize | kFdFilestatSetTimes |
                               kPathSymlink | kPathRemoveDirectory | kPathUnlinkFile;
// Rights that need a host descriptor opened for writing.
constexpr uint64_t kNeedsHostWrite = kFdDatasync | kFdWrite | kFdAllocate | kFdFilestatSetSize;
constexpr uint64_t kNeedsHostRead = kFdRead | kFdReaddir;
constexpr uint64_t kSocket = kFdRead | kFdWrite | kFdFdstatSetFlags | kFdFilestatGet |
                             kPollFdReadwrite | kSockShutdown | kSockAccept;
}  // namespace rights

// ---- small enums ----------------------------------------------------------------------------------
enum Filetype : uint8_t {
  kUnknown = 0, kBlockDevice = 1, kCharacterDevice = 2, kDirectory = 3, kRegularFile = 4,
  kSocketDgram = 5, kSocketStream = 6, kSymbolicLink = 7,
};
namespace fdflags {
constexpr uint16_t kAppend = 1, kDsync = 2, kNonblock = 4, kRsync = 8, kSync = 16;
}
namespace oflags {
constexpr uint16_t kCreat = 1, kDirectory = 2, kExcl = 4, kTrunc = 8;
}
namespace fstflags {
constexpr uint16_t kAtim = 1, kAtimNow = 2, kMtim = 4, kMtimNow = 8;
}
constexpr uint32_t kLookupSymlinkFollow = 1;
enum Clock : uint32_t { kRealtime = 0, kMonotonic = 1, kProcessCpu = 2, kThreadCpu = 3 };
enum EventType : uint8_t { kEventClock = 0, kEventFdRead = 1, kEventFdWrite = 2 };
constexpr uint16_t kSubclockAbstime = 1;
constexpr uint16_t kEventFdReadwriteHangup = 1;
constexpr uint16_t kRiRecvPeek = 1, kRiRecvWaitall = 2;
constexpr uint16_t kRoRecvDataTruncated = 1;
constexpr uint8_t kSdRd = 1, kSdWr = 2;
constexpr uint8_t kPreopenTypeDir = 0;

// whence: preview1 SET=0 CUR=1 END=2; snapshot_0 CUR=0 END=1 SET=2 (the legacy witx ordering).
enum class Whence : uint8_t { Set, Cur, End, Invalid };
inline Whence decode_whence(Flavor f, uint32_t w) {
  if (f == Flavor::Preview1) {
    switch (w) { case 0: return Whence::Set; case 1: return Whence::Cur; case 2: return Whence::End; }
  } else {
    switch (w) { case 0: return Whence::Cur; case 1: return Whence::End; case 2: return Whence::Set; }
  }
  return Whence::Invalid;
}

// ---- layouts ----------------------------------------------------------------------------------------
// iovec/ciovec: {u32 buf, u32 len}, 8 bytes, both flavors.
constexpr uint32_t kIovecSize = 8;
// fdstat: filetype u8 @0, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16; 24 bytes.
constexpr uint32_t kFdstatSize = 24;
// prestat: tag u8 @0, pr_name_len u32 @4; 8 bytes.
constexpr uint32_t kPrestatSize = 8;
// dirent: d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20; 24 bytes, name follows.
constexpr uint32_t kDirentSize = 24;
// event: userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24; 32 bytes.
constexpr uint32_t kEventSize = 32;

// filestat: preview1 has nlink u64 (64 bytes); snapshot_0 has nlink u32 (56 bytes).
struct FilestatLayout {
  uint32_t size, dev, ino, filetype, nlink, nlink_bytes, fsize, atim, mtim, ctim;
};
constexpr FilestatLayout kFilestatPreview1{64, 0, 8, 16, 24, 8, 32, 40, 48, 56};
constexpr FilestatLayout kFilestatUnstable{56, 0, 8, 16, 20, 4, 24, 32, 40, 48};
inline const FilestatLayout& filestat_layout(Flavor f) {
  return f == Flavor::Preview1 ? kFilestatPreview1 : kFilestatUnstable;
}

// subscription: userdata u64 @0, tag u8 @8, body @16. The snapshot_0 clock body starts with an
// extra u64 `identifier`, so its fields sit 8 bytes later and the record is 56 bytes, not 48.
struct SubscriptionLayout {
  uint32_t size, clock_id, clock_timeout, clock_precision, clock_flags, fd;
};
constexpr SubscriptionLayout kSubscriptionPreview1{48, 16, 24, 32, 40, 16};
constexpr SubscriptionLayout kSubscriptionUnstable{56, 24, 32, 40, 48, 16};
inline const SubscriptionLayout& subscription_layout(Flavor f) {
  return f == Flavor::Preview1 ? kSubscriptionPreview1 : kSubscriptionUnstable;
}

}  // namespace wasipool::wasi::abi
