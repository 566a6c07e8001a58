#!/usr/bin/env python3
"""The layering of lib/ holds in the code: each lib/<part>/ file includes
internal headers ("lib/<other>/...") only of the parts the README's
architecture table lets <part> use (its "may use" column: part names,
"everything above" or "X and everything above it" meaning the rows before
it). Prints each violation (file, line, included header) and exits 1; exits
1 too when the table cannot be read or lists a folder that does not exist."""
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
readme = open(os.path.join(src, "README.md"), encoding="utf-8").read()
rows = re.findall(r"^\| `lib/([a-z_]+)/` \| .* \| ([^|]+) \|$", readme, re.M)
if len(rows) < 5:
    sys.exit(f"README.md: the architecture table has {len(rows)} rows that name a lib/ folder")

order = [part for part, _ in rows]
allowed = {}
for i, (part, uses) in enumerate(rows):
    words = set(re.findall(r"[a-z_]+", uses))
    above = set(order[:i]) if "everything" in words and "above" in words else set()
    named = words & set(order)
    allowed[part] = above | named | {part}

errors = []
for part in order:
    folder = os.path.join(src, "lib", part)
    if not os.path.isdir(folder):
        errors.append(f"README.md: the table lists lib/{part}/, which does not exist")
        continue
    for name in sorted(os.listdir(folder)):
        if not name.endswith((".cc", ".h")):
            continue
        path = os.path.join(folder, name)
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            m = re.match(r'\s*#\s*include\s+"lib/([a-z_]+)/([^"]+)"', line)
            if m and m.group(1) not in allowed[part]:
                errors.append(f"lib/{part}/{name}:{n}: includes lib/{m.group(1)}/{m.group(2)}; "
                              f"lib/{part}/ may use {', '.join(sorted(allowed[part] - {part}))}")
for folder in sorted(os.listdir(os.path.join(src, "lib"))):
    if os.path.isdir(os.path.join(src, "lib", folder)) and folder not in allowed:
        errors.append(f"lib/{folder}/ is not in the README's architecture table")
for e in errors:
    print(e)
print(f"{len(order)} parts checked, {len(errors)} violation(s)")
sys.exit(1 if errors else 0)
