#include "opcodes.h"

#include <array>

namespace wasipool::ir {
namespace {

constexpr OpcodeInfo kTable[] = {
#define WASIPOOL_OPCODE(Name, Prefix, Code, Text, ImmK, SigK, Align) \
  {Text, Prefix, Code, Imm::ImmK, Sig::SigK, Align},
#include "opcodes.def"
#undef WASIPOOL_OPCODE
};

constexpr uint16_t kNone = 0xFFFF;

struct Maps {
  std::array<uint16_t, 256> single{};
  std::array<uint16_t, 32> fc{};
  constexpr Maps() {
    for (auto& s : single) s = kNone;
    for (auto& s : fc) s = kNone;
    for (uint16_t i = 0; i < static_cast<uint16_t>(Opcode::kCount); ++i) {
      if (kTable[i].prefix == 0) single[kTable[i].code] = i;
      else fc[kTable[i].code] = i;
    }
  }
};
constexpr Maps kMaps;

}  // namespace

const OpcodeInfo& info(Opcode op) { return kTable[static_cast<uint16_t>(op)]; }

std::optional<Opcode> opcode_from_byte(uint8_t byte) {
  uint16_t i = kMaps.single[byte];
  if (i == kNone) return std::nullopt;
  return static_cast<Opcode>(i);
}

std::optional<Opcode> opcode_from_fc(uint32_t sub) {
  if (sub >= kMaps.fc.size() || kMaps.fc[sub] == kNone) return std::nullopt;
  return static_cast<Opcode>(kMaps.fc[sub]);
}

const char* proposal_of_byte(uint8_t byte) {
  switch (byte) {
    case 0xFD: return "simd";
    case 0xFE: return "threads";
    case 0x06: case 0x07: case 0x08: case 0x09: case 0x18: case 0x19: case 0x1F:
      return "exception-handling";
    case 0x12: case 0x13: return "tail-call";
    case 0x14: case 0x15: case 0xD3: case 0xD4: case 0xD5: case 0xD6: return "function-references";
    case 0xFB: return "gc";
    default: return nullptr;
  }
}

}  // namespace wasipool::ir
