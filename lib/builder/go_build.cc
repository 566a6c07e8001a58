#include "lib/builder/go_build.h"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "lib/core/env.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include <sys/wait.h>

extern char** environ;  // NOLINT

namespace ocib::build {

std::vector<std::string> GoEnvFor(const Platform& platform) {
  std::vector<std::string> env = {"GOOS=" + platform.os, "GOARCH=" + platform.architecture};
  const std::string& v = platform.variant;
  if (platform.architecture == "arm") {
    env.push_back("GOARM=" + (v.empty() ? std::string("7") : v.substr(1)));
  }
  if (platform.architecture == "amd64" && !v.empty() && v != "v1") {
    env.push_back("GOAMD64=" + v);
  }
  return env;
}

namespace {

struct Run {
  int exit_code = -1;
  std::string output;
  std::optional<Error> error;
};

Run RunGo(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
          const std::string& dir, const std::string& log_path) {
  Run run;
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    bool overridden = false;
    for (const auto& x : extra_env) {
      if (kv.compare(0, x.find('=') + 1, x, 0, x.find('=') + 1) == 0) overridden = true;
    }
    if (!overridden) env_store.push_back(kv);
  }
  for (const auto& x : extra_env) env_store.push_back(x);
  std::vector<char*> envp;
  envp.reserve(env_store.size() + 1);
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_store = args;
  std::vector<char*> argv;
  argv.reserve(argv_store.size() + 1);
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  // posix_spawn has no chdir before glibc 2.29's _np variant; Debian 12 has it.
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    run.error = Error(rc == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                      fmt::format("cannot run go: {}{}", io::ErrnoText(rc),
                                  rc == ENOENT ? " (is golang-go installed?)" : ""));
    return run;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto out = fsutil::ReadFile(log_path, size_t{4} << 20);
  if (out) run.output = *out;
  return run;
}

}  // namespace

Result<std::vector<std::string>> GoBuildAll(const BuildSpec& options,
                                            const std::vector<Platform>& platforms,
                                            const std::string& out_dir) {
  std::string dir = options.go_dir.empty() ? "." : options.go_dir;
  std::vector<std::string> outputs(platforms.size());
  std::vector<Run> runs(platforms.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < platforms.size(); ++i) {
    std::string name = platforms[i].ToString();
    for (char& c : name) c = c == '/' ? '-' : c;
    outputs[i] = out_dir + "/" + name;
    std::vector<std::string> args = {"go", "build",   "-trimpath", "-buildvcs=false",
                                     "-o", outputs[i]};
    if (options.go_ldflags) args.push_back("-ldflags=" + *options.go_ldflags);
    for (const auto& f : options.go_flags) args.push_back(f);
    args.push_back(options.go_package);
    std::vector<std::string> go_env = GoEnvFor(platforms[i]);
    if (!env::Get("CGO_ENABLED")) go_env.emplace_back("CGO_ENABLED=0");
    threads.emplace_back([&, i, args, go_env]() {
      runs[i] = RunGo(args, go_env, dir, out_dir + "/go-" + std::to_string(i) + ".log");
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < platforms.size(); ++i) {
    if (runs[i].error)
      return std::move(*runs[i].error).With(fmt::format("building {}", options.go_package));
    if (runs[i].exit_code != 0) {
      return Error(ErrorCode::kBuildFailed,
                   fmt::format("go build {} for {} failed (exit {}):\n{}", options.go_package,
                               platforms[i].ToString(), runs[i].exit_code, runs[i].output));
    }
    if (options.log) {
      options.log(
          fmt::format("ocib: go build {} for {}: ok", options.go_package, platforms[i].ToString()));
    }
  }
  return outputs;
}

}  // namespace ocib::build
