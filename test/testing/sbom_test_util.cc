#include "test/testing/sbom_test_util.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include <sys/wait.h>

namespace ocib::sbomtest {
namespace {

namespace fs = std::filesystem;

std::string BinaryDir() {
#ifdef OCIB_BINARY_DIR
  return OCIB_BINARY_DIR;
#else
  return fs::temp_directory_path().string();
#endif
}

// Splits on tabs.
std::vector<std::string> Fields(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == '\t') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

// Enough of Go's unquoting for what the fixture produces (\" and \\).
std::string SimpleUnquote(const std::string& s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return s;
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

class ScratchHolder {
 public:
  ScratchHolder() {
    fs::path base = fs::path(BinaryDir()) / "sbom-test";
    fs::create_directories(base);
    std::string tmpl = (base / "tmp-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir_ = tmpl;
  }
  ~ScratchHolder() {
    std::error_code ec;
    if (std::getenv("OCIB_KEEP_TEST_TMP") == nullptr) fs::remove_all(dir_, ec);
  }
  ScratchHolder(const ScratchHolder&) = delete;
  ScratchHolder& operator=(const ScratchHolder&) = delete;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace

CommandResult Run(const std::string& command) {
  CommandResult r;
  std::string full = "( " + command + " ) 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out += "'";
  return out;
}

std::string SourceDir() {
  if (const char* env = std::getenv("OCIB_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
#ifdef OCIB_SOURCE_DIR
  return OCIB_SOURCE_DIR;
#else
  return ".";
#endif
}

std::string ScratchDir() {
  static ScratchHolder holder;
  return holder.dir();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

bool HaveGo() { return Run("command -v go").exit_code == 0; }

std::string GoTarget::Name() const {
  std::string n = goos + "-" + goarch;
  if (!goarm.empty()) n += "-v" + goarm;
  if (!ldflags.empty()) n += "-ldflags";
  if (buildvcs) n += "-vcs";
  return n;
}

std::string BuildFixture(const GoTarget& target, std::string* log) {
  static std::mutex mu;
  static std::map<std::string, std::string> built;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = built.find(target.Name()); it != built.end()) return it->second;

  const std::string out = ScratchDir() + "/sbomapp-" + target.Name();
  const std::string cache = BinaryDir() + "/sbom-test/gocache";
  std::string env = "env CGO_ENABLED=0 GOOS=" + target.goos + " GOARCH=" + target.goarch +
                    " GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GOWORK=off GO111MODULE=on"
                    " GOTOOLCHAIN=local GOENV=off GOCACHE=" +
                    ShellQuote(cache) + " GOPATH=" + ShellQuote(ScratchDir() + "/gopath");
  if (!target.goarm.empty()) env += " GOARM=" + target.goarm;
  std::string flags = " -trimpath";
  if (!target.ldflags.empty()) flags += " " + ShellQuote("-ldflags=" + target.ldflags);
  const std::string cd = "cd " + ShellQuote(SourceDir() + "/fixtures/go/sbomapp") + " && ";
  const std::string tail = " -o " + ShellQuote(out) + " .";
  CommandResult r;
  if (target.buildvcs) {
    r = Run(cd + env + " go build" + flags + " -buildvcs=auto" + tail);
    // Stamping needs a usable git checkout; fall back quietly without one.
    if (r.exit_code != 0) r = Run(cd + env + " go build" + flags + " -buildvcs=false" + tail);
  } else {
    r = Run(cd + env + " go build" + flags + " -buildvcs=false" + tail);
  }
  if (r.exit_code != 0) {
    *log = r.output;
    return {};
  }
  built[target.Name()] = out;
  return out;
}

bool GoVersionM(const std::string& binary, GoBuildInfo* info, std::string* text, std::string* log) {
  CommandResult r = Run("env GOTOOLCHAIN=local GOENV=off go version -m " + ShellQuote(binary));
  if (r.exit_code != 0) {
    *log = r.output;
    return false;
  }
  *info = GoBuildInfo{};
  text->clear();
  std::istringstream in(r.output);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first) {
      // "BINARY: go1.19.8"
      first = false;
      size_t colon = line.rfind(": ");
      if (colon == std::string::npos) {
        *log = "unexpected first line: " + line;
        return false;
      }
      info->go_version = line.substr(colon + 2);
      *text += "go\t" + info->go_version + "\n";
      continue;
    }
    if (line.empty() || line[0] != '\t') {
      *log = "unexpected line: " + line;
      return false;
    }
    line.erase(0, 1);
    *text += line + "\n";
    std::vector<std::string> f = Fields(line);
    const std::string& kind = f[0];
    if (kind == "path" && f.size() == 2) {
      info->path = f[1];
    } else if (kind == "mod" && f.size() >= 3) {
      info->main = GoModule{f[1], f[2], f.size() > 3 ? f[3] : ""};
    } else if (kind == "dep" && f.size() >= 3) {
      info->deps.push_back(GoDependency{f[1], f[2], f.size() > 3 ? f[3] : "", std::nullopt});
    } else if (kind == "=>" && f.size() >= 3 && !info->deps.empty()) {
      info->deps.back().replace = GoModule{f[1], f[2], f.size() > 3 ? f[3] : ""};
    } else if (kind == "build" && f.size() == 2) {
      std::string kv = f[1];
      size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        *log = "unexpected build line: " + line;
        return false;
      }
      info->settings.emplace_back(kv.substr(0, eq), SimpleUnquote(kv.substr(eq + 1)));
    } else if (!line.empty()) {
      *log = "unexpected line: " + line;
      return false;
    }
  }
  return true;
}

std::string PythonWithJsonSchema() {
  for (const char* py : {"/usr/bin/python3", "python3"}) {
    if (Run(std::string(py) + " -c 'import jsonschema' >/dev/null 2>&1").exit_code == 0) return py;
  }
  return {};
}

std::string ValidateAgainstSchema(const std::string& python, const std::string& kind,
                                  const std::string& doc_path) {
  const std::string dir = SourceDir() + "/fixtures/schemas/sbom";
  CommandResult r = Run(python + " -W ignore " + ShellQuote(dir + "/validate.py") + " " +
                        ShellQuote(dir) + " " + ShellQuote(kind) + " " + ShellQuote(doc_path));
  if (r.exit_code == 0) return {};
  return r.output.empty() ? "validator failed" : r.output;
}

}  // namespace ocib::sbomtest
