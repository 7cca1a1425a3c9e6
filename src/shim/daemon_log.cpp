#include "shim/daemon_log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace wasipool::shim {
namespace {

std::atomic<bool> g_debug{false};

void vlog(const char* level, const char* fmt, va_list ap) {
  char line[2048];
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  int n = std::snprintf(line, sizeof line, "time=\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\" level=%s msg=\"",
                        t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                        ts.tv_nsec / 1000, level);
  if (n < 0) return;
  int m = std::vsnprintf(line + n, sizeof line - n - 16, fmt, ap);
  if (m < 0) return;
  size_t len = n + std::min<size_t>(m, sizeof line - n - 17);
  len += std::snprintf(line + len, sizeof line - len, "\" runtime=wasipool\n");
  // One write per line: atomic for pipes/FIFOs up to PIPE_BUF, so concurrent handlers do not interleave.
  ssize_t w = write(STDERR_FILENO, line, len);
  (void)w;
}

}  // namespace

void set_log_debug(bool on) { g_debug = on; }
bool log_debug_enabled() { return g_debug; }

#define WASIPOOL_LOG(level)  \
  va_list ap;                \
  va_start(ap, fmt);         \
  vlog(level, fmt, ap);      \
  va_end(ap)

void log_info(const char* fmt, ...) { WASIPOOL_LOG("info"); }
void log_warn(const char* fmt, ...) { WASIPOOL_LOG("warning"); }
void log_debug(const char* fmt, ...) {
  if (!g_debug) return;
  WASIPOOL_LOG("debug");
}

}  // namespace wasipool::shim
