// LEB128 limits (spec 5.2.2): the exact byte counts and padding-bit rules.
#include <gtest/gtest.h>

#include <vector>

#include "../../src/engine/binary/leb128.h"

namespace wasipool::binary {
namespace {

template <unsigned Bits>
LebStatus u(std::vector<uint8_t> b, uint64_t* out = nullptr, size_t* len_out = nullptr) {
  uint64_t v = 0;
  size_t len = 0;
  LebStatus s = read_uleb<Bits>(b.data(), b.data() + b.size(), v, len);
  if (out) *out = v;
  if (len_out) *len_out = len;
  return s;
}

template <unsigned Bits>
LebStatus s(std::vector<uint8_t> b, int64_t* out = nullptr) {
  int64_t v = 0;
  size_t len = 0;
  LebStatus st = read_sleb<Bits>(b.data(), b.data() + b.size(), v, len);
  if (out) *out = v;
  return st;
}

TEST(BinaryLeb128, UnsignedValues) {
  uint64_t v;
  size_t len;
  EXPECT_EQ(u<32>({0x00}, &v, &len), LebStatus::Ok);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(u<32>({0xE5, 0x8E, 0x26}, &v, &len), LebStatus::Ok);
  EXPECT_EQ(v, 624485u);
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(u<32>({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, &v), LebStatus::Ok);
  EXPECT_EQ(v, 0xFFFFFFFFu);
  // Overlong but within 5 bytes is allowed.
  EXPECT_EQ(u<32>({0x80, 0x80, 0x80, 0x80, 0x00}, &v), LebStatus::Ok);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(u<64>({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, &v), LebStatus::Ok);
  EXPECT_EQ(v, ~uint64_t{0});
}

TEST(BinaryLeb128, UnsignedLimits) {
  // Six bytes for a u32: too long, whatever the value.
  EXPECT_EQ(u<32>({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), LebStatus::TooLong);
  // Fifth byte with bits above bit 31 set.
  EXPECT_EQ(u<32>({0x82, 0x80, 0x80, 0x80, 0x70}), LebStatus::TooLarge);
  EXPECT_EQ(u<32>({0x82, 0x80, 0x80, 0x80, 0x10}), LebStatus::TooLarge);
  EXPECT_EQ(u<64>({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02}), LebStatus::TooLarge);
  EXPECT_EQ(u<64>({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), LebStatus::TooLong);
  // Truncated.
  EXPECT_EQ(u<32>({}), LebStatus::End);
  EXPECT_EQ(u<32>({0x80, 0x80}), LebStatus::End);
}

TEST(BinaryLeb128, SignedValues) {
  int64_t v;
  EXPECT_EQ(s<32>({0x7F}, &v), LebStatus::Ok);
  EXPECT_EQ(v, -1);
  EXPECT_EQ(s<32>({0xC0, 0xBB, 0x78}, &v), LebStatus::Ok);
  EXPECT_EQ(v, -123456);
  EXPECT_EQ(s<32>({0x80, 0x80, 0x80, 0x80, 0x78}, &v), LebStatus::Ok);
  EXPECT_EQ(v, INT32_MIN);
  EXPECT_EQ(s<32>({0xFF, 0xFF, 0xFF, 0xFF, 0x07}, &v), LebStatus::Ok);
  EXPECT_EQ(v, INT32_MAX);
  EXPECT_EQ(s<64>({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F}, &v), LebStatus::Ok);
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_EQ(s<33>({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, &v), LebStatus::Ok);
  EXPECT_EQ(v, 0xFFFFFFFFll);
}

TEST(BinaryLeb128, SignedLimits) {
  // i32 -1 with one byte too many; i32 0 with unused bits set; -1 with unused bits unset.
  EXPECT_EQ(s<32>({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}), LebStatus::TooLong);
  EXPECT_EQ(s<32>({0x80, 0x80, 0x80, 0x80, 0x70}), LebStatus::TooLarge);
  EXPECT_EQ(s<32>({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}), LebStatus::TooLarge);
  EXPECT_EQ(s<64>({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x41}), LebStatus::TooLarge);
  EXPECT_EQ(s<64>({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}), LebStatus::TooLarge);
  EXPECT_EQ(s<64>({0x80}), LebStatus::End);
}

}  // namespace
}  // namespace wasipool::binary
