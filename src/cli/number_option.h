// A non-negative number given as a command-line option value ("30", "0.5"), shared by the subcommands
// that take numeric options (serve, slight). False when `s` is not entirely such a number.
#pragma once
#include <cstdlib>

namespace wasipool::cli {

inline bool parse_number(const char* s, double& out) {
  char* end = nullptr;
  out = std::strtod(s, &end);
  return end != s && *end == 0 && out >= 0;
}

}  // namespace wasipool::cli
