// The shim daemon's log: lines on stderr, which the daemon points at the bundle's `log` FIFO so that
// containerd copies them into its own log (containerd-shim-v2.md §2.2). Format close to logrus' text
// form, so the lines read like the Go shims' in containerd's output.
// Threading: each line is one write(2), so lines from different threads do not interleave.
#pragma once

namespace wasipool::shim {

void set_log_debug(bool on);
bool log_debug_enabled();
void log_info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace wasipool::shim
