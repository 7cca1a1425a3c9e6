// `wasipool run` internals, shared by the run*.cpp files only (owner: run). Option parsing, --invoke
// value conversion and --tcplisten sockets; run.cpp ties them to the engine and WASI.
#pragma once
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasipool/engine.h"
#include "wasipool/result.h"

namespace wasipool::cli::run {

struct DirGrant {
  std::string host;
  std::string guest;
  bool read_only = false;
};

struct EnvGrant {
  std::string name;
  std::optional<std::string> value;  // nullopt: inherit the host's value (--env NAME)
};

struct Options {
  std::vector<DirGrant> dirs;
  std::vector<EnvGrant> env;
  std::vector<std::string> tcplisten;   // ADDR:PORT, in order; become fds after the preopens
  std::optional<std::string> invoke;    // --invoke FUNC
  std::optional<std::string> argv0;     // --argv0 NAME (default: MODULE as written)
  std::optional<uint64_t> max_memory;   // bytes, per linear memory
  std::optional<double> timeout;        // seconds of wall time before the guest is interrupted
  bool help = false;
  std::string module;                   // MODULE
  std::vector<std::string> args;        // guest argv[1..] (or --invoke arguments)
};

// Parses argv (argv[0] = "run"). Error: one line, without the "wasipool run: error: " prefix.
Result<Options, std::string> parse_options(int argc, char** argv);
void print_usage(std::FILE* out);

// "1048576", "64K", "16MiB", "1G" -> bytes (binary multiples).
std::optional<uint64_t> parse_size(std::string_view text);
// "2", "0.5", "1.5s", "250ms" -> seconds.
std::optional<double> parse_duration(std::string_view text);

// --invoke: converts a command-line argument to a value of type `type` ("-1", "0xff", "1.5", "nan").
Result<engine::Value, std::string> parse_value(std::string_view text, engine::ValType type);
// --invoke results, printed as wasmtime does: integers signed decimal, floats shortest round-trip
// without exponent ("1", "0.1", "NaN", "inf"), references "<null funcref>" / "<funcref>".
std::string format_value(const engine::Value& v);

// --tcplisten ADDR: a bound, listening, blocking TCP socket. ADDR is "IPv4:PORT" or "[IPv6]:PORT".
Result<int, std::string> open_listener(const std::string& addr);

}  // namespace wasipool::cli::run
