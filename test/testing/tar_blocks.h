// Readers of ustar header blocks for tests that check tar bytes field by
// field (offsets as POSIX.1-2001 ustar places them); a malformed field is a
// test failure, not a crash.
#ifndef OCIB_TEST_TESTING_TAR_BLOCKS_H_
#define OCIB_TEST_TESTING_TAR_BLOCKS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace ocib::testing::ustar {

// One 512-byte block of `tar` (block 0 is the first header).
inline std::string Block(const std::string& tar, size_t i) {
  EXPECT_GE(tar.size(), (i + 1) * 512) << "no block " << i;
  return tar.size() >= (i + 1) * 512 ? tar.substr(i * 512, 512) : std::string(512, '\0');
}

// Raw bytes of a header field.
inline std::string Field(const std::string& block, size_t offset, size_t length) {
  return block.substr(offset, length);
}

// A string field up to its first NUL.
inline std::string Text(const std::string& block, size_t offset, size_t length) {
  std::string f = Field(block, offset, length);
  return f.substr(0, f.find('\0'));
}

// Octal digits up to the first NUL or space.
inline int64_t Octal(const std::string& block, size_t offset, size_t length) {
  int64_t v = 0;
  for (size_t i = offset; i < offset + length; ++i) {
    char c = block[i];
    if (c == '\0' || c == ' ') break;
    EXPECT_TRUE(c >= '0' && c <= '7') << "not octal: " << Field(block, offset, length);
    v = v * 8 + (c - '0');
  }
  return v;
}

// The header checksum as the format defines it: every byte summed as
// unsigned, the checksum field itself counted as eight spaces.
inline int64_t Checksum(const std::string& block) {
  int64_t sum = 0;
  for (size_t i = 0; i < 512; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
  }
  return sum;
}

inline char Typeflag(const std::string& block) { return block[156]; }
inline std::string Name(const std::string& block) { return Text(block, 0, 100); }
inline std::string Prefix(const std::string& block) { return Text(block, 345, 155); }
inline std::string Linkname(const std::string& block) { return Text(block, 157, 100); }

}  // namespace ocib::testing::ustar

#endif  // OCIB_TEST_TESTING_TAR_BLOCKS_H_
