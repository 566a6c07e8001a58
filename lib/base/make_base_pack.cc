// Build-time tool: packs the data files of the embedded `static` base (the CA
// bundle and, when the build machine has tzdata, /usr/share/zoneinfo) into
// one file that is linked into libocib, so that one ocib binary always makes
// the same base layer.
//
// usage: ocib_make_base_pack OUT CA_DIR ZONEINFO_DIR
//
// Record format (little-endian): u8 type ('f' file, 'd' dir, 'l' symlink),
// u32 mode, u32 path length, path, u32 link length, link, u64 size, content;
// a 0 type byte ends the pack. Paths are relative to the image root and
// sorted bytewise.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace {

namespace fs = std::filesystem;

struct Record {
  char type;
  uint32_t mode;
  std::string path;
  std::string link;
  std::string content;
};

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: ocib_make_base_pack OUT CA_DIR ZONEINFO_DIR\n";
    return 2;
  }
  std::vector<Record> records;
  // CA bundle: the Mozilla certificates shipped by ca-certificates, in
  // sorted order (never /etc/ssl/certs, which may hold local additions).
  std::string bundle;
  std::vector<fs::path> certs;
  std::error_code ec;
  if (fs::is_directory(argv[2], ec)) {
    for (const auto& e : fs::directory_iterator(argv[2])) {
      if (e.path().extension() == ".crt") certs.push_back(e.path());
    }
  }
  std::sort(certs.begin(), certs.end());
  for (const auto& c : certs) bundle += ReadAll(c);
  if (certs.empty())
    std::cerr << "ocib_make_base_pack: warning: no CA certificates in " << argv[2] << "\n";
  records.push_back({'f', 0644, "etc/ssl/certs/ca-certificates.crt", "", bundle});

  fs::path zi = argv[3];
  if (fs::is_directory(zi, ec)) {
    records.push_back({'d', 0755, "usr/share/zoneinfo", "", ""});
    for (auto it = fs::recursive_directory_iterator(zi); it != fs::recursive_directory_iterator();
         ++it) {
      const fs::path& p = it->path();
      std::string rel = "usr/share/zoneinfo/" + p.lexically_relative(zi).generic_string();
      auto st = fs::symlink_status(p);
      if (fs::is_symlink(st)) {
        records.push_back({'l', 0777, rel, fs::read_symlink(p).generic_string(), ""});
      } else if (fs::is_directory(st)) {
        records.push_back({'d', 0755, rel, "", ""});
      } else if (fs::is_regular_file(st)) {
        records.push_back({'f', 0644, rel, "", ReadAll(p)});
      }
    }
  } else {
    std::cerr << "ocib_make_base_pack: no " << zi << ": the base has no zoneinfo\n";
  }
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return a.path < b.path; });
  std::string out;
  for (const auto& r : records) {
    out.push_back(r.type);
    PutU32(out, r.mode);
    PutU32(out, static_cast<uint32_t>(r.path.size()));
    out += r.path;
    PutU32(out, static_cast<uint32_t>(r.link.size()));
    out += r.link;
    PutU64(out, r.content.size());
    out += r.content;
  }
  out.push_back('\0');
  std::string tmp = std::string(argv[1]) + ".tmp";
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    o.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!o) {
      std::cerr << "ocib_make_base_pack: cannot write " << tmp << "\n";
      return 1;
    }
  }
  fs::rename(tmp, argv[1]);
  return 0;
}
