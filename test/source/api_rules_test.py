#!/usr/bin/env python3
"""The library's rules that the compiler does not check (issue 10's "done
when"): no string literal in lib/ names a command-line flag ("--tag": the CLI
words its own messages), no file under lib/registry/ includes a layout or
archive header (stores meet through BlobStore, and only lib/transfer sees
both), no dynamic_cast in lib/ or cli/ (no cast to a concrete store), and
tests mirror lib/ (lib/X/y.cc has test/unit/X/y_test.cc; the build-time tool
lib/base/make_base_pack.cc is the one exception).
Prints each violation (file, line, text) and exits 1. Function length (at
most 80 lines) is clang-tidy's readability-function-size, run by .ci/lint."""
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
FLAG_IN_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*(?<![\w-])--[a-z][a-z0-9-]*(?:[^"\\]|\\.)*"')
LAYOUT_INCLUDE = re.compile(
    r'#include "(?:lib/layout/[^"]*|ocib/oci_layout\.h|ocib/archive_writer\.h)"')
CAST = re.compile(r"\bdynamic_cast\s*<")


def sources(folder):
    for root, _, names in os.walk(os.path.join(src, folder)):
        for name in sorted(names):
            if name.endswith((".cc", ".h")):
                yield os.path.join(root, name)


def code_lines(path):
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.lstrip().startswith("//"):
                continue
            yield number, line.split(" // ")[0]


errors = []
for path in sources("lib"):
    rel = os.path.relpath(path, src)
    for number, line in code_lines(path):
        if FLAG_IN_LITERAL.search(line):
            errors.append(f"{rel}:{number}: a command-line flag in lib/: {line.strip()}")
        if rel.startswith("lib/registry/") and LAYOUT_INCLUDE.search(line):
            errors.append(f"{rel}:{number}: lib/registry includes a layout header: {line.strip()}")
for folder in ("lib", "cli"):
    for path in sources(folder):
        rel = os.path.relpath(path, src)
        for number, line in code_lines(path):
            if CAST.search(line):
                errors.append(f"{rel}:{number}: dynamic_cast: {line.strip()}")
UNTESTED_TOOLS = {"lib/base/make_base_pack.cc"}
for path in sources("lib"):
    rel = os.path.relpath(path, src)
    if not rel.endswith(".cc") or rel in UNTESTED_TOOLS:
        continue
    test = os.path.join("test", "unit", rel[len("lib/"):-len(".cc")] + "_test.cc")
    if not os.path.isfile(os.path.join(src, test)):
        errors.append(f"{rel}: no {test}")
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
