// poll_oneoff: clock subscriptions (relative and absolute) and fd read/write readiness, waited
// for with one ppoll(2). Regular files are always ready, as the witx specifies.
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "host.h"

namespace wasipool::wasi {

bool host_clock(uint32_t id, clockid_t& out);  // process.cpp

namespace {

using namespace abi;
namespace R = abi::rights;

int64_t now_ns(clockid_t id) {
  struct timespec ts;
  ::clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Event {
  uint64_t userdata = 0;
  uint16_t error = 0;
  uint8_t type = 0;
  uint64_t nbytes = 0;
  uint16_t flags = 0;
};

struct Sub {
  uint64_t userdata;
  uint8_t type;
  int64_t deadline_mono = 0;  // clocks: when it fires, on CLOCK_MONOTONIC
  int pollfd_index = -1;      // fd subscriptions that wait in ppoll
};

}  // namespace

uint16_t poll_oneoff(Call& c) {
  uint32_t in = c.u32(0), out = c.u32(1), nsubs = c.u32(2);
  if (nsubs == 0) return kInval;  // would block forever with nothing to wake it
  const SubscriptionLayout& L = subscription_layout(c.flavor);
  // Copy the whole subscription array out first (one 64-bit bounds check), and check the event
  // array's bounds before blocking.
  auto in_span = c.mem.bytes(in, static_cast<uint64_t>(nsubs) * L.size);
  if (!in_span) return kFault;
  if (!c.mem.bytes(out, static_cast<uint64_t>(nsubs) * kEventSize)) return kFault;
  if (!c.mem.bytes(c.u32(3), 4)) return kFault;
  // Bounded host work per call: a guest with 4 GiB of memory could otherwise make us copy and
  // track ~89 million subscriptions.
  constexpr uint32_t kMaxSubscriptions = 65536;
  if (nsubs > kMaxSubscriptions) return kInval;
  std::vector<uint8_t> subs_raw(in_span->begin(), in_span->end());

  std::vector<Sub> subs;
  std::vector<struct pollfd> pfds;
  std::vector<Event> ready;
  subs.reserve(nsubs);
  int64_t now = now_ns(CLOCK_MONOTONIC);
  bool have_clock = false;
  int64_t earliest = 0;
  for (uint32_t i = 0; i < nsubs; ++i) {
    const uint8_t* s = subs_raw.data() + static_cast<size_t>(i) * L.size;
    Sub sub{};
    std::memcpy(&sub.userdata, s, 8);
    sub.type = s[8];
    if (sub.type == kEventClock) {
      uint32_t id;
      uint64_t timeout;
      uint16_t flags;
      std::memcpy(&id, s + L.clock_id, 4);
      std::memcpy(&timeout, s + L.clock_timeout, 8);
      std::memcpy(&flags, s + L.clock_flags, 2);
      clockid_t hc;
      if (!host_clock(id, hc)) {
        ready.push_back({sub.userdata, kInval, kEventClock, 0, 0});
        continue;
      }
      // Every clock deadline is converted to a monotonic one now; an absolute realtime deadline
      // therefore ignores later wall-clock steps, which is what a sleeping program expects.
      int64_t remaining;
      if (flags & kSubclockAbstime) {
        int64_t t = static_cast<int64_t>(timeout > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : timeout);
        remaining = t - now_ns(hc);
      } else {
        remaining = timeout > static_cast<uint64_t>(INT64_MAX / 2) ? INT64_MAX / 2
                                                                   : static_cast<int64_t>(timeout);
      }
      if (remaining < 0) remaining = 0;
      sub.deadline_mono = now + remaining;
      if (!have_clock || sub.deadline_mono < earliest) earliest = sub.deadline_mono;
      have_clock = true;
      subs.push_back(sub);
    } else if (sub.type == kEventFdRead || sub.type == kEventFdWrite) {
      uint32_t fd;
      std::memcpy(&fd, s + L.fd, 4);
      FdEntry* e = c.ctx.get(fd);
      uint64_t need = sub.type == kEventFdRead ? R::kFdRead : R::kFdWrite;
      if (e == nullptr) {
        ready.push_back({sub.userdata, kBadf, sub.type, 0, 0});
        continue;
      }
      if ((e->rights_base & (need | R::kPollFdReadwrite)) == 0) {
        ready.push_back({sub.userdata, kNotCapable, sub.type, 0, 0});
        continue;
      }
      if (e->filetype == kRegularFile) {
        // Always ready; report how much can be read from the current offset.
        uint64_t nbytes = 0;
        if (sub.type == kEventFdRead) {
          struct stat st;
          off_t pos = ::lseek(e->host, 0, SEEK_CUR);
          if (::fstat(e->host, &st) == 0 && pos >= 0 && st.st_size > pos)
            nbytes = static_cast<uint64_t>(st.st_size - pos);
        }
        ready.push_back({sub.userdata, 0, sub.type, nbytes, 0});
        continue;
      }
      sub.pollfd_index = static_cast<int>(pfds.size());
      pfds.push_back({e->host, static_cast<short>(sub.type == kEventFdRead ? POLLIN : POLLOUT), 0});
      subs.push_back(sub);
    } else {
      return kInval;
    }
  }

  for (;;) {
    int64_t t_now = now_ns(CLOCK_MONOTONIC);
    struct timespec ts, *tsp = nullptr;
    if (!ready.empty()) {
      ts = {0, 0};  // something is ready already: just collect whatever else is ready too
      tsp = &ts;
    } else if (have_clock) {
      int64_t wait = earliest > t_now ? earliest - t_now : 0;
      ts.tv_sec = wait / 1'000'000'000;
      ts.tv_nsec = wait % 1'000'000'000;
      tsp = &ts;
    }
    int n = ::ppoll(pfds.data(), pfds.size(), tsp, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      return from_host_errno(errno);
    }
    t_now = now_ns(CLOCK_MONOTONIC);
    for (const Sub& s : subs) {
      if (s.type == kEventClock) {
        if (t_now >= s.deadline_mono) ready.push_back({s.userdata, 0, kEventClock, 0, 0});
        continue;
      }
      const struct pollfd& p = pfds[static_cast<size_t>(s.pollfd_index)];
      if (p.revents == 0) continue;
      Event ev{s.userdata, 0, s.type, 0, 0};
      if (p.revents & POLLNVAL) {
        ev.error = kBadf;
      } else {
        if (p.revents & POLLHUP) ev.flags |= kEventFdReadwriteHangup;
        if (s.type == kEventFdRead) {
          int avail = 0;
          if (::ioctl(p.fd, FIONREAD, &avail) == 0 && avail > 0) ev.nbytes = static_cast<uint64_t>(avail);
        }
        if ((p.revents & POLLERR) && !(p.revents & (POLLIN | POLLOUT))) ev.error = kIo;
      }
      ready.push_back(ev);
    }
    if (!ready.empty()) break;
    // Woke early (clock rounding) with nothing ready: wait again.
  }

  uint32_t count = static_cast<uint32_t>(std::min<size_t>(ready.size(), nsubs));
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t rec[kEventSize] = {};
    std::memcpy(rec, &ready[i].userdata, 8);
    std::memcpy(rec + 8, &ready[i].error, 2);
    rec[10] = ready[i].type;
    std::memcpy(rec + 16, &ready[i].nbytes, 8);
    std::memcpy(rec + 24, &ready[i].flags, 2);
    if (!c.mem.write(out + static_cast<uint64_t>(i) * kEventSize, rec, sizeof rec)) return kFault;
  }
  return store<uint32_t>(c, c.u32(3), count);
}

}  // namespace wasipool::wasi
