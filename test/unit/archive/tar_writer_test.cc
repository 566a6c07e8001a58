// TarWriter: the exact bytes of ustar and pax headers, checked field by field
// against the format description (POSIX.1-2001 ustar and pax), and its
// errors. The end-to-end test test/e2e/tar_format_test.sh reads the same
// cases back with GNU tar, Python's tarfile and umoci.
#include "lib/archive/tar_writer.h"

#include <string>
#include <vector>

#include "test/testing/tar_blocks.h"
#include "test/testing/test_util.h"

namespace ocib::tar {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::StatusIs;
using ::ocib::testing::ustar::Block;
using ::ocib::testing::ustar::Checksum;
using ::ocib::testing::ustar::Field;
using ::ocib::testing::ustar::Linkname;
using ::ocib::testing::ustar::Name;
using ::ocib::testing::ustar::Octal;
using ::ocib::testing::ustar::Prefix;
using ::ocib::testing::ustar::Text;
using ::ocib::testing::ustar::Typeflag;
using ::testing::AllOf;
using ::testing::HasSubstr;

class FailingSink : public Writer {
 public:
  Status Write(const void*, size_t) override { return IoError("disk full"); }
  Status Close() override { return {}; }
};

// A Header built field by field: Entry("a").Size(3).Mtime(42).
struct Entry : Header {
  explicit Entry(std::string p) { path = std::move(p); }
  Entry& Type(EntryType t) {
    type = t;
    return *this;
  }
  Entry& Mode(uint32_t m) {
    mode = m;
    return *this;
  }
  Entry& Uid(int64_t v) {
    uid = v;
    return *this;
  }
  Entry& Gid(int64_t v) {
    gid = v;
    return *this;
  }
  Entry& Size(int64_t v) {
    size = v;
    return *this;
  }
  Entry& Mtime(int64_t v) {
    mtime = v;
    return *this;
  }
  Entry& Target(std::string t) {
    link_target = std::move(t);
    return *this;
  }
};

// The records of a pax extended header's data, each checked to start with
// its own exact length.
std::vector<std::pair<std::string, std::string>> PaxRecords(const std::string& data) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t space = data.find(' ', pos);
    EXPECT_NE(space, std::string::npos);
    if (space == std::string::npos) break;
    size_t len = std::stoul(data.substr(pos, space - pos));
    std::string record = data.substr(pos, len);
    EXPECT_EQ(record.size(), len);
    EXPECT_EQ(record.back(), '\n') << record;
    size_t eq = record.find('=');
    EXPECT_NE(eq, std::string::npos) << record;
    out.emplace_back(record.substr(space - pos + 1, eq - (space - pos + 1)),
                     record.substr(eq + 1, record.size() - eq - 2));
    pos += len;
  }
  return out;
}

// Writes one entry (with `data`, or none) and finishes the archive.
std::string WriteOne(const Header& h, const std::string& data = "") {
  ::ocib::testing::StringWriter sink;
  TarWriter w(&sink);
  EXPECT_THAT(w.WriteHeader(h), IsOk());
  if (!data.empty()) {
    EXPECT_THAT(w.WriteData(data.data(), data.size()), IsOk());
  }
  EXPECT_THAT(w.Finish(), IsOk());
  return sink.bytes;
}

// The pax header, its records and the entry's ustar header of a tar that
// starts with a pax header.
struct PaxEntry {
  std::string pax_header;
  std::vector<std::pair<std::string, std::string>> records;
  std::string header;
};

PaxEntry ReadPaxEntry(const std::string& tar) {
  PaxEntry e;
  e.pax_header = Block(tar, 0);
  EXPECT_EQ(Typeflag(e.pax_header), 'x');
  EXPECT_EQ(Octal(e.pax_header, 148, 8), Checksum(e.pax_header));
  auto size = static_cast<size_t>(Octal(e.pax_header, 124, 12));
  e.records = PaxRecords(tar.substr(512, size));
  size_t data_blocks = (size + 511) / 512;
  EXPECT_EQ(tar.substr(512 + size, data_blocks * 512 - size),
            std::string(data_blocks * 512 - size, '\0'))
      << "pax data padding";
  e.header = Block(tar, 1 + data_blocks);
  return e;
}

using Records = std::vector<std::pair<std::string, std::string>>;

TEST(TarWriterTest, SmallFileHeaderBytes) {
  std::string tar = WriteOne(Entry("etc/hello.txt")
                                 .Type(EntryType::kRegular)
                                 .Mode(0644)
                                 .Uid(0)
                                 .Gid(0)
                                 .Size(5)
                                 .Mtime(1700000000),
                             "hello");
  ASSERT_EQ(tar.size(), 512 + 512 + 1024);
  std::string h = Block(tar, 0);
  EXPECT_EQ(Field(h, 0, 100), "etc/hello.txt" + std::string(87, '\0'));
  EXPECT_EQ(Field(h, 100, 8), std::string("0000644\0", 8));
  EXPECT_EQ(Field(h, 108, 8), std::string("0000000\0", 8));
  EXPECT_EQ(Field(h, 116, 8), std::string("0000000\0", 8));
  EXPECT_EQ(Field(h, 124, 12), std::string("00000000005\0", 12));
  EXPECT_EQ(Field(h, 136, 12), std::string("14524770400\0", 12));  // 1700000000
  // Checksum: 6 octal digits, NUL, space; the value recomputed here.
  std::string chksum = Field(h, 148, 8);
  EXPECT_EQ(chksum.substr(6), std::string("\0 ", 2));
  EXPECT_EQ(chksum.find_first_not_of("01234567"), 6U) << chksum;
  EXPECT_EQ(Octal(h, 148, 8), Checksum(h));
  EXPECT_EQ(h[156], '0');
  EXPECT_EQ(Field(h, 157, 100), std::string(100, '\0'));
  EXPECT_EQ(Field(h, 257, 6), std::string("ustar\0", 6));
  EXPECT_EQ(Field(h, 263, 2), "00");
  EXPECT_EQ(Field(h, 265, 64), std::string(64, '\0'));  // uname, gname
  EXPECT_EQ(Field(h, 329, 8), std::string("0000000\0", 8));
  EXPECT_EQ(Field(h, 337, 8), std::string("0000000\0", 8));
  EXPECT_EQ(Field(h, 345, 167), std::string(167, '\0'));  // prefix and the rest
  EXPECT_EQ(Block(tar, 1), "hello" + std::string(507, '\0'));
  EXPECT_EQ(tar.substr(1024), std::string(1024, '\0'));
}

TEST(TarWriterTest, ChecksumCountsEveryField) {
  std::string a = WriteOne(Entry("a").Mode(0755).Uid(1000).Gid(100).Mtime(1));
  std::string h = Block(a, 0);
  EXPECT_EQ(Octal(h, 148, 8), Checksum(h));
  EXPECT_EQ(Octal(h, 100, 8), 0755);
  EXPECT_EQ(Octal(h, 108, 8), 1000);
  EXPECT_EQ(Octal(h, 116, 8), 100);
  EXPECT_EQ(Octal(h, 124, 12), 0);
  EXPECT_EQ(Octal(h, 136, 12), 1);
  ASSERT_EQ(a.size(), 512 + 1024);  // an empty file has no data block
}

TEST(TarWriterTest, DataIsPaddedToWholeBlocks) {
  std::string exactly(512, 'x');
  EXPECT_EQ(WriteOne(Entry("f").Size(512), exactly).size(), 512 + 512 + 1024);
  std::string tar = WriteOne(Entry("f").Size(513), exactly + "y");
  ASSERT_EQ(tar.size(), 512 + 1024 + 1024);
  EXPECT_EQ(Block(tar, 2), "y" + std::string(511, '\0'));
}

TEST(TarWriterTest, EntriesFollowEachOther) {
  ::ocib::testing::StringWriter sink;
  TarWriter w(&sink);
  ASSERT_THAT(w.WriteHeader(Entry("a").Size(3)), IsOk());
  ASSERT_THAT(w.WriteData("ab", 2), IsOk());
  ASSERT_THAT(w.WriteData("c", 1), IsOk());
  ASSERT_THAT(w.WriteHeader(Entry("b").Type(EntryType::kDirectory).Mode(0755)), IsOk());
  ASSERT_THAT(w.Finish(), IsOk());
  ASSERT_EQ(sink.bytes.size(), 3 * 512 + 1024);
  EXPECT_EQ(Name(Block(sink.bytes, 0)), "a");
  EXPECT_EQ(Block(sink.bytes, 1), "abc" + std::string(509, '\0'));
  EXPECT_EQ(Name(Block(sink.bytes, 2)), "b/");
}

TEST(TarWriterTest, DirectoryGetsOneTrailingSlash) {
  std::string h = Block(WriteOne(Entry("usr/lib").Type(EntryType::kDirectory).Mode(0755)), 0);
  EXPECT_EQ(Name(h), "usr/lib/");
  EXPECT_EQ(Typeflag(h), '5');
  EXPECT_EQ(Octal(h, 124, 12), 0);
  EXPECT_EQ(Octal(h, 100, 8), 0755);
  std::string again = Block(WriteOne(Entry("var/").Type(EntryType::kDirectory)), 0);
  EXPECT_EQ(Name(again), "var/");
}

TEST(TarWriterTest, SymlinkAndHardlink) {
  std::string s =
      Block(WriteOne(Entry("bin/sh").Type(EntryType::kSymlink).Mode(0777).Target("busybox")), 0);
  EXPECT_EQ(Typeflag(s), '2');
  EXPECT_EQ(Linkname(s), "busybox");
  EXPECT_EQ(Octal(s, 124, 12), 0);
  std::string l =
      Block(WriteOne(Entry("b").Type(EntryType::kHardlink).Mode(0644).Target("a/x")), 0);
  EXPECT_EQ(Typeflag(l), '1');
  EXPECT_EQ(Linkname(l), "a/x");
  EXPECT_EQ(Octal(l, 124, 12), 0);
  EXPECT_EQ(Octal(l, 148, 8), Checksum(l));
}

TEST(TarWriterTest, HundredByteNameFillsTheFieldWithoutNul) {
  std::string path(100, 'n');
  std::string tar = WriteOne(Entry(path));
  ASSERT_EQ(tar.size(), 512 + 1024) << "no pax header";
  EXPECT_EQ(Field(Block(tar, 0), 0, 100), path);
  EXPECT_EQ(Block(tar, 0)[100], '0') << "mode follows directly";
  EXPECT_EQ(Prefix(Block(tar, 0)), "");
}

TEST(TarWriterTest, HundredAndOneBytesSplitIntoPrefixAndName) {
  std::string name(99, 'n');
  std::string tar = WriteOne(Entry("d/" + name));
  ASSERT_EQ(tar.size(), 512 + 1024) << "no pax header";
  EXPECT_EQ(Prefix(Block(tar, 0)), "d");
  EXPECT_EQ(Name(Block(tar, 0)), name);
}

TEST(TarWriterTest, HundredAndOneBytesWithoutSlashNeedPax) {
  std::string path(101, 'n');
  PaxEntry e = ReadPaxEntry(WriteOne(Entry(path)));
  EXPECT_EQ(e.records, (Records{{"path", path}}));
  EXPECT_EQ(Name(e.header), std::string(100, 'n'));  // the stand-in, cut
}

TEST(TarWriterTest, PrefixSplitUsesTheFullWidths) {
  std::string prefix(155, 'p');
  std::string name(100, 'n');
  std::string tar = WriteOne(Entry(prefix + "/" + name));
  ASSERT_EQ(tar.size(), 512 + 1024) << "no pax header";
  std::string h = Block(tar, 0);
  EXPECT_EQ(Field(h, 345, 155), prefix);
  EXPECT_EQ(Field(h, 0, 100), name);
  EXPECT_EQ(Octal(h, 148, 8), Checksum(h));
  // Several slashes: the split leaves as much as fits in the name.
  std::string deep = std::string(60, 'a') + "/" + std::string(60, 'b') + "/" + std::string(30, 'c');
  std::string d = Block(WriteOne(Entry(deep)), 0);
  EXPECT_EQ(Prefix(d), std::string(60, 'a'));
  EXPECT_EQ(Name(d), std::string(60, 'b') + "/" + std::string(30, 'c'));
}

TEST(TarWriterTest, LongPathWithoutSuitableSlashGoesToPax) {
  // 300 bytes: the only '/' leaves a 200-byte prefix.
  std::string path = std::string(200, 'a') + "/" + std::string(99, 'b');
  ASSERT_EQ(path.size(), 300U);
  std::string tar = WriteOne(Entry(path).Size(2).Mtime(42), "hi");
  PaxEntry e = ReadPaxEntry(tar);
  EXPECT_EQ(Name(e.pax_header), "PaxHeaders/" + std::string(89, 'b'));
  EXPECT_EQ(Octal(e.pax_header, 100, 8), 0644);
  EXPECT_EQ(Octal(e.pax_header, 108, 8), 0);
  EXPECT_EQ(Octal(e.pax_header, 116, 8), 0);
  EXPECT_EQ(Octal(e.pax_header, 136, 12), 42);
  EXPECT_EQ(Field(e.pax_header, 257, 8), std::string("ustar\0"
                                                     "00",
                                                     8));
  EXPECT_EQ(e.records, (Records{{"path", path}}));
  EXPECT_EQ(Typeflag(e.header), '0');
  EXPECT_EQ(Octal(e.header, 124, 12), 2);
  EXPECT_EQ(Octal(e.header, 148, 8), Checksum(e.header));
  // pax header, its data block, the entry's header, its data, the end.
  ASSERT_EQ(tar.size(), 4 * 512 + 1024);
  EXPECT_EQ(Block(tar, 3), "hi" + std::string(510, '\0'));
}

TEST(TarWriterTest, NonAsciiPathGoesToPaxWithAnAsciiStandIn) {
  std::string path =
      "donn\xc3\xa9"
      "es/\xc3\xa9t\xc3\xa9.txt";  // UTF-8 "données/été.txt"
  PaxEntry e = ReadPaxEntry(WriteOne(Entry(path)));
  EXPECT_EQ(e.records, (Records{{"path", path}}));
  EXPECT_EQ(Name(e.header), "donn__es/__t__.txt");
  EXPECT_EQ(Name(e.pax_header), "PaxHeaders/__t__.txt");
}

TEST(TarWriterTest, StandInReplacesEveryByteOutsidePrintableAscii) {
  // 0x1f and 0x7f (DEL) are just outside printable ASCII; ' ' (0x20) and '~'
  // (0x7e) are its bounds.
  std::string path =
      "a\x1f \x7e\x7f"
      "\xc3\xa9";
  PaxEntry e = ReadPaxEntry(WriteOne(Entry(path)));
  EXPECT_EQ(e.records, (Records{{"path", path}}));
  EXPECT_EQ(Name(e.header), "a_ ~___");
}

TEST(TarWriterTest, PathThatIsNotUtf8IsMarkedBinary) {
  std::string path =
      "bad\xff"
      "name";
  PaxEntry e = ReadPaxEntry(WriteOne(Entry(path)));
  EXPECT_EQ(e.records, (Records{{"hdrcharset", "BINARY"}, {"path", path}}));
}

// hdrcharset=BINARY exactly for names that are not well-formed UTF-8, at
// every boundary of the encoding (a lone continuation byte 0x80 included).
TEST(TarWriterTest, BinaryMarksExactlyTheNamesThatAreNotUtf8) {
  for (const char* ok : {"caf\xc3\xa9", "\xc2\x80", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf"}) {
    PaxEntry e = ReadPaxEntry(WriteOne(Entry(std::string("d/") + ok)));
    EXPECT_EQ(e.records, (Records{{"path", std::string("d/") + ok}})) << ok;
  }
  for (const char* bad :
       {"\x80",
        "a\x80"
        "b",
        "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xf8\x88\x80\x80\x80"}) {
    PaxEntry e = ReadPaxEntry(WriteOne(Entry(std::string("d/") + bad)));
    EXPECT_EQ(e.records, (Records{{"hdrcharset", "BINARY"}, {"path", std::string("d/") + bad}}))
        << ::testing::PrintToString(std::string(bad));
  }
}

TEST(TarWriterTest, LongSymlinkTargetGoesToLinkpath) {
  std::string target = "../" + std::string(147, 't');
  PaxEntry e =
      ReadPaxEntry(WriteOne(Entry("lib/link").Type(EntryType::kSymlink).Mode(0777).Target(target)));
  EXPECT_EQ(e.records, (Records{{"linkpath", target}}));
  EXPECT_EQ(Name(e.header), "lib/link") << "the path still fits ustar";
  EXPECT_EQ(Linkname(e.header), target.substr(0, 100));
  EXPECT_EQ(Typeflag(e.header), '2');
  EXPECT_EQ(Name(e.pax_header), "PaxHeaders/link");
  // Exactly 100 bytes fit the linkname field.
  std::string fits(100, 'f');
  std::string tar = WriteOne(Entry("l").Type(EntryType::kSymlink).Mode(0777).Target(fits));
  ASSERT_EQ(tar.size(), 512 + 1024);
  EXPECT_EQ(Field(Block(tar, 0), 157, 100), fits);
}

TEST(TarWriterTest, NonAsciiHardlinkTargetGoesToLinkpath) {
  std::string target = "caf\xc3\xa9";
  PaxEntry e = ReadPaxEntry(WriteOne(Entry("x").Type(EntryType::kHardlink).Target(target)));
  EXPECT_EQ(e.records, (Records{{"linkpath", target}}));
  EXPECT_EQ(Typeflag(e.header), '1');
}

TEST(TarWriterTest, PaxRecordLengthCountsItsOwnDigits) {
  // "99 path=" + 90 bytes + "\n" is 99 bytes; one byte more makes the length
  // three digits long, and the record 101 bytes: none is 100 bytes long.
  std::string ninety = "\xc3\xa9" + std::string(88, 'a');
  std::string tar90 = WriteOne(Entry(ninety));
  EXPECT_EQ(tar90.substr(512, 99), "99 path=" + ninety + "\n");
  EXPECT_EQ(Octal(Block(tar90, 0), 124, 12), 99);
  std::string ninety_one = ninety + "a";
  std::string tar91 = WriteOne(Entry(ninety_one));
  EXPECT_EQ(tar91.substr(512, 101), "101 path=" + ninety_one + "\n");
  EXPECT_EQ(Octal(Block(tar91, 0), 124, 12), 101);
  EXPECT_EQ(ReadPaxEntry(tar91).records, (Records{{"path", ninety_one}}));
}

TEST(TarWriterTest, MtimeBeyondTheOctalFieldGoesToPax) {
  const int64_t max = 077777777777;  // 2242-03-16
  std::string fits = WriteOne(Entry("f").Mtime(max));
  ASSERT_EQ(fits.size(), 512 + 1024) << "no pax header";
  EXPECT_EQ(Field(Block(fits, 0), 136, 12), std::string("77777777777\0", 12));

  PaxEntry e = ReadPaxEntry(WriteOne(Entry("f").Mtime(max + 1)));
  EXPECT_EQ(e.records, (Records{{"mtime", "8589934592"}}));
  EXPECT_EQ(Octal(e.header, 136, 12), 0);
  EXPECT_EQ(Octal(e.pax_header, 136, 12), 0);
  EXPECT_EQ(ReadPaxEntry(WriteOne(Entry("f").Mtime(253402300799))).records,
            (Records{{"mtime", "253402300799"}}));  // 9999-12-31T23:59:59Z
  EXPECT_EQ(ReadPaxEntry(WriteOne(Entry("f").Mtime(-1))).records, (Records{{"mtime", "-1"}}));
}

TEST(TarWriterTest, LargeSizeAndIdsGoToPax) {
  ::ocib::testing::StringWriter sink;
  TarWriter w(&sink);
  const int64_t eight_gib = int64_t{8} << 30;
  ASSERT_THAT(w.WriteHeader(Entry("big").Uid(07777777).Gid(07777777 + 1).Size(eight_gib)), IsOk());
  PaxEntry e = ReadPaxEntry(sink.bytes);
  EXPECT_EQ(e.records, (Records{{"size", "8589934592"}, {"gid", "2097152"}}));
  EXPECT_EQ(Octal(e.header, 108, 8), 07777777);
  EXPECT_EQ(Octal(e.header, 116, 8), 0);
  EXPECT_EQ(Octal(e.header, 124, 12), 0);

  ::ocib::testing::StringWriter fits_sink;
  TarWriter fits(&fits_sink);
  ASSERT_THAT(fits.WriteHeader(Entry("big").Size(eight_gib - 1)), IsOk());
  ASSERT_EQ(fits_sink.bytes.size(), 512U) << "no pax header";
  EXPECT_EQ(Field(fits_sink.bytes, 124, 12), std::string("77777777777\0", 12));
}

TEST(TarWriterTest, EverythingAtOnceKeepsTheRecordOrder) {
  std::string path = "\xc3\xa9/" + std::string(120, 'p');
  PaxEntry e = ReadPaxEntry(WriteOne(Entry(path)
                                         .Type(EntryType::kSymlink)
                                         .Mode(0777)
                                         .Uid(int64_t{1} << 40)
                                         .Gid(int64_t{1} << 41)
                                         .Mtime(int64_t{1} << 34)
                                         .Target(std::string(101, 't'))));
  EXPECT_EQ(e.records, (Records{{"path", path},
                                {"linkpath", std::string(101, 't')},
                                {"mtime", "17179869184"},
                                {"uid", "1099511627776"},
                                {"gid", "2199023255552"}}));
}

TEST(TarWriterTest, DataLongerThanDeclaredIsAnError) {
  ::ocib::testing::StringWriter sink;
  TarWriter w(&sink);
  ASSERT_THAT(w.WriteHeader(Entry("f").Size(3)), IsOk());
  ASSERT_THAT(w.WriteData("ab", 2), IsOk());
  EXPECT_THAT(w.WriteData("cd", 2), StatusIs(ErrorCode::kInvalidArgument,
                                             AllOf(HasSubstr("writing the tar data of f"),
                                                   HasSubstr("longer"), HasSubstr("size 3"))));
  // The writer stays failed.
  EXPECT_THAT(w.WriteData("c", 1),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("earlier error")));
  EXPECT_THAT(w.Finish(), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("earlier error")));
  EXPECT_EQ(sink.bytes.size(), 512 + 2U) << "nothing written after the error";
}

TEST(TarWriterTest, FinishWithMissingDataIsAnError) {
  ::ocib::testing::StringWriter sink;
  TarWriter w(&sink);
  ASSERT_THAT(w.WriteHeader(Entry("dir/f").Size(10)), IsOk());
  ASSERT_THAT(w.WriteData("abc", 3), IsOk());
  EXPECT_THAT(w.Finish(), StatusIs(ErrorCode::kInvalidArgument,
                                   AllOf(HasSubstr("finishing the tar stream"), HasSubstr("dir/f"),
                                         HasSubstr("7 of its 10 data bytes"))));
}

TEST(TarWriterTest, NextHeaderWithMissingDataIsAnError) {
  ::ocib::testing::StringWriter sink;
  TarWriter w(&sink);
  ASSERT_THAT(w.WriteHeader(Entry("a").Size(1)), IsOk());
  EXPECT_THAT(
      w.WriteHeader(Entry("b")),
      StatusIs(ErrorCode::kInvalidArgument, AllOf(HasSubstr("writing the tar header of b"),
                                                  HasSubstr("previous entry a has 1 of its 1"))));
}

TEST(TarWriterTest, WritingAfterFinishOrBeforeAnyEntryIsAnError) {
  ::ocib::testing::StringWriter sink;
  TarWriter w(&sink);
  EXPECT_THAT(w.WriteData("x", 1), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("no entry")));
  ::ocib::testing::StringWriter sink2;
  TarWriter w2(&sink2);
  ASSERT_THAT(w2.Finish(), IsOk());
  EXPECT_EQ(sink2.bytes, std::string(1024, '\0'));
  EXPECT_THAT(w2.WriteHeader(Entry("a")),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("already finished")));
}

TEST(TarWriterTest, UnwritableHeadersAreRejected) {
  struct Case {
    Header header;
    std::string why;
  };
  std::vector<Case> cases = {
      {Entry(""), "empty path"},
      {Entry("/etc"), "starts with '/'"},
      {Entry(std::string("a\0b", 3)), "NUL"},
      {Entry("a").Mode(010644), "mode 010644"},
      {Entry("a").Uid(-1), "negative uid"},
      {Entry("a").Size(-1), "negative size"},
      {Entry("a").Type(EntryType::kDirectory).Size(1), "not a file"},
      {Entry("a").Type(EntryType::kSymlink), "without a target"},
      {Entry("a").Type(EntryType::kHardlink), "without a target"},
      {Entry("a").Target("b"), "not a link"},
  };
  for (const Case& c : cases) {
    ::ocib::testing::StringWriter sink;
    TarWriter w(&sink);
    EXPECT_THAT(w.WriteHeader(c.header),
                StatusIs(ErrorCode::kInvalidArgument,
                         AllOf(HasSubstr("writing the tar header of"), HasSubstr(c.why))));
    EXPECT_EQ(sink.bytes, "");
  }
}

TEST(TarWriterTest, SinkErrorsSayWhatWasBeingWritten) {
  FailingSink sink;
  TarWriter w(&sink);
  EXPECT_THAT(w.WriteHeader(Entry("a")),
              StatusIs(ErrorCode::kIo,
                       AllOf(HasSubstr("writing the tar header of a"), HasSubstr("disk full"))));
}

TEST(TarWriterTest, SameEntriesGiveSameBytes) {
  auto write = [] {
    ::ocib::testing::StringWriter sink;
    TarWriter w(&sink);
    EXPECT_THAT(w.WriteHeader(Entry("d").Type(EntryType::kDirectory).Mode(0755).Mtime(9000000000)),
                IsOk());
    EXPECT_THAT(
        w.WriteHeader(Entry("d/" + std::string(300, 'x')).Mode(04755).Size(4).Mtime(9000000000)),
        IsOk());
    EXPECT_THAT(w.WriteData("data", 4), IsOk());
    EXPECT_THAT(w.WriteHeader(Entry("d/\xe2\x98\x83")
                                  .Type(EntryType::kSymlink)
                                  .Mode(0777)
                                  .Mtime(9000000000)
                                  .Target(std::string(200, 'y'))),
                IsOk());
    EXPECT_THAT(w.Finish(), IsOk());
    return sink.bytes;
  };
  std::string first = write();
  std::string second = write();
  EXPECT_EQ(first.size() % 512, 0U);
  EXPECT_EQ(first, second);
}

}  // namespace
}  // namespace ocib::tar
