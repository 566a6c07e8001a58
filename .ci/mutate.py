"""The mutation sampler behind .ci/mutate (run that script, not this file).

Enumerates candidate mutations in lib/**/*.cc, takes a seeded random sample,
and for each mutant: writes it, rebuilds build/mutate, runs the fast tests,
restores the file. The bash wrapper restores the file from the state file if
this process dies.
"""

import argparse
import collections
import dataclasses
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
KEYWORDS = {"return", "co_return", "throw", "delete", "goto", "break", "case",
            "else", "if", "while", "for", "switch", "do", "continue", "new"}
CMP_RE = re.compile(r" (<=|>=|==|!=|<|>) ")
BOUND_RE = re.compile(r" (?:<=|>=|==|!=|<|>) (\d+)\b(?!\.)")
PLUS_ONE_RE = re.compile(r" [+-] 1\b(?!\.)")
STATUS_RE = re.compile(
    r"\bif \((!\s*[A-Za-z_]\w*(?:\.ok\(\)|\.has_value\(\))?"
    r"|[A-Za-z_][\w.]*(?:\(\))? < 0|ec)\)")
RETURN_IF_ERROR_RE = re.compile(r"^\s*(OCIB_RETURN_IF_ERROR)\(.*\);\s*$")
BOOL_RE = re.compile(r"\b(true|false)\b")
CALL_RE = re.compile(
    r"^(\s*)(?:\(void\)\s*)?([A-Za-z_][\w:]*)(?:(?:\.|->)[A-Za-z_]\w*)*"
    r"(?:<[^;]*>)?\(.*\);\s*$")


@dataclasses.dataclass
class Mutant:
    file: str   # relative to the repository root
    line: int   # 1-based
    op: str
    before: str  # the changed text on the line
    after: str
    new_line: str  # the whole mutated line, without its newline
    line_text: str = ""  # the line before the mutation, stripped
    id: int = 0
    result: str = ""
    seconds: float = 0.0

    @property
    def folder(self):
        return self.file.split("/")[1]

    def describe(self):
        return f"{self.file}:{self.line} {self.op}: '{self.before}' -> '{self.after}'"


def code_mask(line):
    """Positions of `line` that are code: not in a string, char or comment."""
    mask = [True] * len(line)
    i, quote = 0, None
    while i < len(line):
        c = line[i]
        if quote:
            mask[i] = False
            if c == "\\":
                if i + 1 < len(line):
                    mask[i + 1] = False
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            # A digit separator (1'000) is not a char literal.
            if c == "'" and i > 0 and line[i - 1].isalnum():
                i += 1
                continue
            quote = c
            mask[i] = False
        elif line.startswith("//", i):
            for j in range(i, len(line)):
                mask[j] = False
            break
        i += 1
    return mask


def in_code(mask, start, end):
    return all(mask[start:end])


def balanced(text):
    return text.count("(") == text.count(")")


def line_candidates(path, lineno, line, prev):
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "//", "*", "/*")):
        return
    if 'R"(' in line:
        return
    mask = code_mask(line)

    def mutant(op, start, end, new_text):
        if not in_code(mask, start, end):
            return None
        return Mutant(path, lineno, op, line[start:end].strip(), new_text.strip(),
                      line[:start] + new_text + line[end:], stripped)

    for m in CMP_RE.finditer(line):
        yield mutant("comparison", m.start(), m.end(), f" {FLIP[m.group(1)]} ")
    for m in BOUND_RE.finditer(line):
        n = int(m.group(1))
        yield mutant("bound", m.start(1), m.end(1), str(n + 1))
    for m in PLUS_ONE_RE.finditer(line):
        yield mutant("bound", m.start(), m.end(), "")
    for m in STATUS_RE.finditer(line):
        yield mutant("status-check", m.start(), m.end(), "if (false)")
    m = RETURN_IF_ERROR_RE.match(line)
    if m and balanced(line):
        # OCIB_RETURN_IF_ERROR(expr); -> (void)(expr);
        yield mutant("status-check", m.start(1), m.end(1), "(void)")
    for m in BOOL_RE.finditer(line):
        other = "false" if m.group(1) == "true" else "true"
        yield mutant("boolean", m.start(), m.end(), other)
    m = CALL_RE.match(line)
    # A whole one-line call statement (not the tail of a longer statement).
    if (m and m.group(2) not in KEYWORDS and not m.group(2).startswith("OCIB_")
            and balanced(line)
            and prev.rstrip().endswith((";", "{", "}"))
            and in_code(mask, len(m.group(1)), len(m.group(1)) + 1)):
        yield Mutant(path, lineno, "removed-call", stripped, "", m.group(1) + "// removed",
                     stripped)


def load_equivalents(root):
    """The mutants .ci/mutate-equivalent lists as equivalent (no test can
    tell them from the original: the change is not observable), each with
    its reason. An entry is `file | op | before -> after | line | reason`,
    the line as written (stripped), so an entry follows its line when the
    file changes around it and lapses when the line itself changes."""
    out = {}
    path = os.path.join(root, ".ci", "mutate-equivalent")
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            parts = [p.strip() for p in raw.rstrip("\n").split(" | ")]
            if len(parts) != 5 or " -> " not in parts[2]:
                sys.exit(f"mutate: .ci/mutate-equivalent:{n}: want 'file | op | before -> after"
                         f" | line | reason'")
            before, after = parts[2].split(" -> ", 1)
            out[(parts[0], parts[1], before.strip("'"), after.strip("'"), parts[3])] = parts[4]
    return out


def equivalence_key(m):
    return (m.file, m.op, m.before, m.after, m.line_text)


def library_sources(root):
    """The .cc files of the ocib library, as lib/CMakeLists.txt lists them."""
    with open(os.path.join(root, "lib", "CMakeLists.txt"), encoding="utf-8") as f:
        text = f.read()
    # The block ends at the first line that is a lone ")" (comments inside
    # it may hold parentheses).
    block = re.search(r"^add_library\(ocib\b(.*?)^\s*\)", text, re.S | re.M)
    if not block:
        sys.exit("mutate: no add_library(ocib ...) in lib/CMakeLists.txt")
    return sorted("lib/" + s for s in re.findall(r"^\s*([\w/]+\.cc)\s*$", block.group(1), re.M))


def candidates(root, folders):
    out = []
    for path in library_sources(root):
        if folders and path.split("/")[1] not in folders:
            continue
        if True:
            with open(os.path.join(root, path), encoding="utf-8") as f:
                lines = f.read().split("\n")
            in_block = False
            prev = ";"
            for i, line in enumerate(lines):
                if in_block:
                    in_block = "*/" not in line
                    continue
                if line.lstrip().startswith("/*") and "*/" not in line:
                    in_block = True
                    continue
                for c in line_candidates(path, i + 1, line, prev):
                    if c is not None:
                        out.append(c)
                if line.strip() and not line.strip().startswith("//"):
                    prev = line
    out.sort(key=lambda c: (c.file, c.line, c.op, c.before, c.after, c.new_line))
    return out


def run(cmd, log, timeout, env=None, cwd=None):
    """Runs cmd appending to log; returns its exit code, or None on timeout."""
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                            start_new_session=True)
    try:
        return proc.wait(timeout=max(timeout, 1))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None
    except BaseException:
        # Interrupted: stop the build or tests too (they run in their own
        # session, so a signal to this process does not reach them).
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise


class Runner:
    def __init__(self, args):
        self.args = args
        self.root = args.root
        self.build = args.build
        self.logs = os.path.join(self.build, "mutate-logs")
        os.makedirs(self.logs, exist_ok=True)
        self.gtests = gtest_targets(self.root)
        self.objects = {}

    def configure(self):
        cmd = ["cmake", "-S", self.root, "-B", self.build, "-G", "Ninja",
               "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DOCIB_WERROR=OFF",
               "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
               # A shared library with every symbol visible, and executables
               # that do not relink when it changes: a mutant recompiles one
               # file and relinks libocib.so, not the dozen test binaries.
               "-DBUILD_SHARED_LIBS=ON", "-DCMAKE_CXX_VISIBILITY_PRESET=default",
               "-DCMAKE_VISIBILITY_INLINES_HIDDEN=OFF", "-DCMAKE_LINK_DEPENDS_NO_SHARED=ON"]
        # A faster linker, when there is one. Compile flags stay those of the
        # ci preset.
        for linker in ("lld", "gold"):
            if shutil.which("ld." + linker):
                cmd += [f"-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld={linker}",
                        f"-DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld={linker}"]
                break
        if shutil.which("ccache"):
            cmd += ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", "-DCMAKE_C_COMPILER_LAUNCHER=ccache"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def build_targets(self, log):
        cmd = ["cmake", "--build", self.build, "-j", str(self.args.jobs), "--target",
               "ocib_cli", *self.gtests]
        # Paths relative to the tree, so ccache shares objects between
        # worktrees (the first build of build/mutate is then mostly hits).
        env = dict(os.environ, CCACHE_BASEDIR=self.root, CCACHE_NOHASHDIR="true")
        return run(cmd, log, self.args.build_timeout, env=env)

    def ordered_gtests(self, folder):
        """The gtest binaries, the one most likely to catch a mutant of `folder`
        first (a killed mutant costs only the tests until the first failure)."""
        first = {"registry": "registry", "transfer": "registry", "http": "registry",
                 "auth": "registry",
                 "sbom": "sbom", "builder": "unit", "cache": "unit"}.get(folder, "unit")
        return sorted(self.gtests, key=lambda name: first not in name)

    def test(self, log, deadline, folder=""):
        cache = tempfile.mkdtemp(prefix="ocib-mutate-cache.")
        env = dict(os.environ, OCIB_SOURCE_DIR=self.root, XDG_CACHE_HOME=cache)
        env.setdefault("OCIB_GOCACHE", os.path.join(self.root, "build", "gocache"))
        try:
            for name in self.ordered_gtests(folder):
                binary = find_binary(self.build, name)
                rc = run([binary, "--gtest_fail_fast", "--gtest_brief=1"], log,
                         deadline - time.monotonic(), env=env, cwd=os.path.dirname(binary))
                if rc != 0:
                    return "timeout" if rc is None else "killed"
            if self.args.e2e:
                rc = run(["ctest", "--test-dir", self.build, "-R", self.args.e2e,
                          "--stop-on-failure", "--output-on-failure", "--timeout",
                          str(self.args.timeout)], log, deadline - time.monotonic(), env=env)
                if rc != 0:
                    return "timeout" if rc is None else "killed"
            return "survived"
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def record_objects(self):
        """The unmutated library objects, to spot mutants that change no code."""
        top = os.path.join(self.build, "lib", "CMakeFiles", "ocib.dir")
        for dirpath, _, files in os.walk(top):
            for name in files:
                if name.endswith(".o"):
                    path = os.path.join(dirpath, name)
                    self.objects[path] = file_digest(path)

    def baseline(self):
        with open(os.path.join(self.logs, "baseline.log"), "w") as log:
            rc = self.build_targets(log)
            if rc != 0:
                why = "does not build" if rc is not None else "took too long to build"
                sys.exit(f"mutate: the unmutated tree {why}; see {log.name}")
            self.record_objects()
            if self.args.no_baseline:
                return
            result = self.test(log, time.monotonic() + self.args.timeout * 3)
            if result != "survived":
                sys.exit(f"mutate: the tests fail on the unmutated tree ({result}); see {log.name}")

    def apply(self, m):
        path = os.path.join(self.root, m.file)
        with open(path, encoding="utf-8") as f:
            original = f.read()
        lines = original.split("\n")
        lines[m.line - 1] = m.new_line
        backup = os.path.join(self.build, "original-" + m.file.replace("/", "_"))
        with open(backup, "w", encoding="utf-8") as f:
            f.write(original)
        with open(self.args.state, "w", encoding="utf-8") as f:
            f.write(f"{path}\n{backup}\n")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        return path, original, backup

    def restore(self, path, original, backup):
        # A new mtime, so the next build recompiles the file (ccache makes it cheap).
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)
        os.remove(self.args.state)
        os.remove(backup)

    def one(self, m):
        start = time.monotonic()
        log_path = os.path.join(self.logs, f"m{m.id:03d}.log")
        with open(log_path, "w") as log:
            log.write(m.describe() + "\n")
            path, original, backup = self.apply(m)
            try:
                obj = os.path.join(self.build, "lib", "CMakeFiles", "ocib.dir",
                                   m.file[len("lib/"):] + ".o")
                rc = self.build_targets(log)
                if rc != 0:
                    m.result = "build-error" if rc is not None else "build-timeout"
                elif file_digest(obj) == self.objects.get(obj):
                    # Same object code (the line is in an #if branch not
                    # compiled here, or the compiler folded the change away):
                    # no test could tell, so it is not counted.
                    m.result = "same-code"
                else:
                    m.result = self.test(log, start + self.args.timeout, m.folder)
            finally:
                self.restore(path, original, backup)
        m.seconds = time.monotonic() - start


def file_digest(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def gtest_targets(root):
    names = []
    for name in sorted(os.listdir(os.path.join(root, "test"))):
        if name.endswith(".cmake"):
            with open(os.path.join(root, "test", name), encoding="utf-8") as f:
                names += re.findall(r"^ocib_add_gtest\((\w+)", f.read(), re.M)
    return names


def find_binary(build, name):
    for dirpath, _, files in os.walk(build):
        if name in files and os.access(os.path.join(dirpath, name), os.X_OK):
            return os.path.join(dirpath, name)
    sys.exit(f"mutate: no binary {name} under {build}")


def report(mutants, args, elapsed, equivalents=None):
    """Per lib/ folder: mutants run, built (code changed), killed (a test
    failed), timed out (the tests did not finish: an endless loop, or just a
    slow machine, so reported apart, and counted as killed as --timeout
    says), survived, and equivalent (listed in .ci/mutate-equivalent with the
    reason no test can tell them apart; not run, not counted)."""
    equivalents = equivalents or {}
    by = collections.OrderedDict()
    for m in sorted(mutants, key=lambda m: m.folder):
        by.setdefault(m.folder, []).append(m)
    lines = [f"Mutation sample: seed {args.seed}, {len(mutants)} mutants"
             f"{', folders ' + args.folder if args.folder else ''}"
             f"{f', {elapsed / 60:.0f} min' if elapsed else ''}", "",
             "| lib/ folder | mutants | built | killed | timed out | survived | equivalent |"
             " kill rate |",
             "|---|---|---|---|---|---|---|---|"]

    def row(name, ms):
        built = [m for m in ms if m.result in ("killed", "timeout", "survived")]
        n = collections.Counter(m.result for m in ms)
        caught = n["killed"] + n["timeout"]
        rate = f"{100 * caught / len(built):.0f}%" if built else "-"
        lines.append(f"| {name} | {len(ms)} | {len(built)} | {n['killed']} | {n['timeout']} |"
                     f" {n['survived']} | {n['equivalent']} | {rate} |")

    for folder, ms in by.items():
        row(folder, ms)
    row("all", mutants)
    other = collections.Counter(m.result for m in mutants if m.result not in
                                ("killed", "timeout", "survived", "equivalent"))
    if other:
        lines += ["", "Not counted: " + ", ".join(f"{n} {r}" for r, n in sorted(other.items()))]
    for title, kind in (("Timed out", "timeout"), ("Survivors", "survived")):
        lines += ["", f"{title}:"]
        lines += [f"- #{m.id} {m.describe()}" for m in mutants if m.result == kind] or ["- none"]
    eq = [m for m in mutants if m.result == "equivalent"]
    if eq:
        lines += ["", "Equivalent (not run; .ci/mutate-equivalent):"]
        lines += [f"- #{m.id} {m.describe()}: {equivalents.get(equivalence_key(m), '')}"
                  for m in eq]
    return "\n".join(lines) + "\n"


def parse_args():
    p = argparse.ArgumentParser(prog=".ci/mutate", description=__doc__)
    p.add_argument("--root", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=60)
    p.add_argument("--folder", default="", help="comma-separated lib/ folders (default all)")
    p.add_argument("--jobs", type=int, default=1, help="build jobs (default 1)")
    p.add_argument("--timeout", type=int, default=300,
                   help="seconds per mutant for the tests (a mutant that makes a test loop"
                   " forever counts as killed when it runs out)")
    p.add_argument("--build-timeout", type=int, default=7200,
                   help="seconds for a build (the first one builds everything)")
    p.add_argument("--e2e", default="^e2e_(bad_input|layout_tags)$",
                   help="ctest regex of the e2e tests to run ('' for none)")
    p.add_argument("--ids", default="", help="run only these mutants of the sample (e.g. 3,17)")
    p.add_argument("--list", action="store_true", help="print the sample and exit")
    p.add_argument("--no-baseline", action="store_true",
                   help="skip checking that the unmutated tree passes")
    p.add_argument("--results", default="",
                   help="with --summarize: a results.jsonl to read (default the build dir's)")
    p.add_argument("--summarize", action="store_true",
                   help="print the report of the last (possibly unfinished) run and exit")
    p.add_argument("--report", default="", help="also write the report to this file")
    p.add_argument("--rerun", default="",
                   help="a results.jsonl of an earlier run: run its survivors and timeouts again"
                   " on this tree (found by file, change and line text; a line that is gone is"
                   " reported 'gone') and report the whole sample with their new results")
    return p.parse_args()


def rerun(args, folders):
    """The survivors and timeouts of an earlier run, run again on this tree;
    the report covers the earlier sample with their new results (a mutant
    whose line is gone, or that .ci/mutate-equivalent now lists, says so)."""
    with open(args.rerun, encoding="utf-8") as f:
        earlier = [Mutant(**json.loads(line)) for line in f if line.strip()]
    current = {equivalence_key(c): c for c in candidates(args.root, folders)}
    equivalents = load_equivalents(args.root)
    todo = [m for m in earlier if m.result in ("survived", "timeout")]
    print(f"mutate: rerunning {len(todo)} of the {len(earlier)} mutants of {args.rerun}",
          flush=True)
    runner = Runner(args)
    runner.configure()
    start = time.monotonic()
    runner.baseline()
    for m in todo:
        was = m.result
        key = equivalence_key(m)
        if key in equivalents:
            m.result = "equivalent"
        elif key not in current:
            m.result = "gone"
        else:
            now = current[key]
            now.id = m.id
            runner.one(now)
            m.result, m.seconds, m.line = now.result, now.seconds, now.line
        print(f"#{m.id} {was} -> {m.result:<12} {m.seconds:5.0f}s {m.describe()}", flush=True)
    text = report(earlier, args, time.monotonic() - start, equivalents)
    print(text)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            f.write(text)


def main():
    # SIGTERM and SIGHUP unwind like Ctrl-C, so the running mutant's file is
    # restored by Runner.one before the process ends.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _: sys.exit(128 + signum))
    args = parse_args()
    if args.summarize:
        # The report of a run so far (or an interrupted one), from its results.
        with open(args.results or os.path.join(args.build, "results.jsonl"),
                  encoding="utf-8") as f:
            done = [Mutant(**json.loads(line)) for line in f if line.strip()]
        print(report(done, args, 0, load_equivalents(args.root)), end="")
        return
    folders = {f for f in args.folder.split(",") if f}
    if args.rerun:
        rerun(args, folders)
        return
    cands = candidates(args.root, folders)
    sample = random.Random(args.seed).sample(cands, min(args.count, len(cands)))
    sample.sort(key=lambda c: (c.file, c.line))
    for i, m in enumerate(sample, 1):
        m.id = i
    if args.ids:
        wanted = {int(i) for i in args.ids.split(",")}
        sample = [m for m in sample if m.id in wanted]
    print(f"mutate: {len(cands)} candidates, sample of {len(sample)} (seed {args.seed})",
          flush=True)
    if args.list:
        equivalents = load_equivalents(args.root)
        for m in sample:
            mark = " (equivalent)" if equivalence_key(m) in equivalents else ""
            print(f"#{m.id} {m.describe()}{mark}")
        return
    equivalents = load_equivalents(args.root)
    runner = Runner(args)
    runner.configure()
    start = time.monotonic()
    print("mutate: building" + ("" if args.no_baseline else " and testing") +
          " the unmutated tree", flush=True)
    runner.baseline()
    results = os.path.join(args.build, "results.jsonl")
    with open(results, "w", encoding="utf-8") as out:
        for m in sample:
            if equivalence_key(m) in equivalents:
                m.result = "equivalent"
            else:
                runner.one(m)
            print(f"#{m.id} {m.result:<12} {m.seconds:5.0f}s {m.describe()}", flush=True)
            out.write(json.dumps(dataclasses.asdict(m)) + "\n")
            out.flush()
    text = report(sample, args, time.monotonic() - start, equivalents)
    print(text)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
