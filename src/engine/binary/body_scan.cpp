// Body grammar check (see body_scan.h). Like the reference decoder, a body that is still inside a block
// at its declared end is read on into the following bytes, so the reason reported is the one the spec
// tests name ("END opcode expected", "section size mismatch", "unexpected end of section or function").
#include "body_scan.h"

#include <cstdio>
#include <vector>

#include "instr_reader.h"
#include "reader.h"

namespace wasipool::binary {
namespace {

enum class Open : uint8_t { Block, If, Else };

std::optional<engine::Error> scan_body(const ir::Module& m, uint32_t func_index, const ir::Function& f,
                                       std::vector<Open>& open) {
  const uint32_t end_of_body = f.body.offset + f.body.size;
  // Read from the body start to the end of the module (not of the body): see the file comment.
  InstrReader reader(std::span<const uint8_t>(m.bytes).subspan(f.body.offset), f.body.offset);
  open.clear();
  open.push_back(Open::Block);  // the function body itself
  auto error = [&](const char* reason, uint32_t at) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s in function %u", reason, func_index);
    return malformed(buf, at);
  };
  while (!open.empty()) {
    if (reader.at_end()) return error("unexpected end of section or function", reader.offset());
    auto in = reader.next();
    if (!in) {
      // Past the declared end the bytes belong to someone else: a proposal opcode there does not
      // make this module "unsupported", it is just a body without its end.
      if (reader.offset() >= end_of_body && in.error().kind != engine::ErrorKind::Malformed)
        return error("END opcode expected", end_of_body);
      engine::Error e = std::move(in).error();
      char buf[48];
      std::snprintf(buf, sizeof buf, " (in function %u)", func_index);
      e.message += buf;
      return e;
    }
    switch (in->op) {
      case ir::Opcode::Block:
      case ir::Opcode::Loop:
        open.push_back(Open::Block);
        break;
      case ir::Opcode::If:
        open.push_back(Open::If);
        break;
      case ir::Opcode::Else:
        if (open.back() != Open::If) return error("END opcode expected", in->offset);
        open.back() = Open::Else;
        break;
      case ir::Opcode::End:
        open.pop_back();
        break;
      default:
        break;
    }
  }
  if (reader.offset() != end_of_body) return error("section size mismatch", reader.offset());
  return std::nullopt;
}

}  // namespace

std::optional<engine::Error> scan_bodies(const ir::Module& m) {
  std::vector<Open> open;
  for (uint32_t i = 0; i < m.functions.size(); ++i)
    if (auto e = scan_body(m, m.num_imported_funcs + i, m.functions[i], open)) return e;
  return std::nullopt;
}

}  // namespace wasipool::binary
