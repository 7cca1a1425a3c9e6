// Engine and Module: loading is decode -> validate -> canonical type ids -> compile for the tier.
// Everything a load produces is immutable afterwards, so Modules are shared freely across threads.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "../binary/decode.h"
#include "../interp/interp.h"
#include "../runtime/objects.h"
#include "../validate/validate.h"

namespace wasipool::engine {

Engine::Engine(EngineConfig config) : state_(std::make_unique<runtime::EngineState>(std::move(config))) {}
Engine::~Engine() = default;

const EngineConfig& Engine::config() const { return state_->config(); }

namespace {

// Bytes on the heap, owned by the Module that decodes them: what load() and load_file() lend to
// load_shared().
std::pair<std::shared_ptr<const void>, std::span<const uint8_t>> owned(std::vector<uint8_t> bytes) {
  auto heap = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  std::span<const uint8_t> view(*heap);
  return {std::move(heap), view};
}

}  // namespace

Result<std::shared_ptr<const Module>, Error> Engine::load(std::span<const uint8_t> wasm) const {
  auto [owner, view] = owned(std::vector<uint8_t>(wasm.begin(), wasm.end()));
  return load_shared(std::move(owner), view);
}

Result<std::shared_ptr<const Module>, Error> Engine::load_shared(std::shared_ptr<const void> owner,
                                                                 std::span<const uint8_t> wasm) const {
  auto decoded = binary::decode_shared(std::move(owner), wasm);
  if (!decoded) return fail(std::move(decoded).error());
  auto loaded = std::make_unique<runtime::LoadedModule>();
  loaded->ir = std::move(decoded).value();
  auto valid = validate::validate(loaded->ir, &loaded->constants);
  if (!valid) return fail(std::move(valid).error());

  loaded->type_ids.reserve(loaded->ir.types.size());
  for (const FuncType& t : loaded->ir.types) loaded->type_ids.push_back(state_->intern(t));

  // Tier seam: the configured tier prepares the module here (the interpreter records per-function frame
  // facts; each function's code is built on its first call).
  switch (state_->config().tier) {
    case Tier::Interpreter: {
      auto code = interp::compile(loaded->ir, &loaded->constants);
      if (!code) return fail(std::move(code).error());
      loaded->code = {code.value(), &interp::destroy};
      break;
    }
  }
  return std::shared_ptr<const Module>(std::make_shared<Module>(std::move(loaded)));
}

Result<std::shared_ptr<const Module>, Error> Engine::load_file(const std::string& path) const {
  auto io_error = [&path](int err) { return Error{ErrorKind::Io, path + ": " + std::strerror(err)}; };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(io_error(errno));
  std::vector<uint8_t> bytes;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail(io_error(EISDIR));
  }
  if (st.st_size > 0) bytes.reserve(static_cast<size_t>(st.st_size));
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return fail(io_error(err));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  ::close(fd);
  auto [owner, view] = owned(std::move(bytes));
  return load_shared(std::move(owner), view);
}

Module::Module(std::unique_ptr<runtime::LoadedModule> loaded) : loaded_(std::move(loaded)) {}
Module::~Module() = default;
const ir::Module& Module::ir() const { return loaded_->ir; }

}  // namespace wasipool::engine
