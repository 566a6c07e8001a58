#!/usr/bin/env bash
# Rewrites the command reference in README.md (between the BEGIN/END
# markers) with `ocib help --markdown`, generated from the flag definitions.
# Usage: cli/update_readme_reference.sh [OCIB_BINARY] (default build/ci/cli/ocib)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ocib=${1:-$root/build/ci/cli/ocib}
readme=$root/README.md
begin='<!-- BEGIN generated command reference -->'
end='<!-- END generated command reference -->'
grep -qxF "$begin" "$readme" && grep -qxF "$end" "$readme" || {
  echo "README.md lacks the markers $begin / $end" >&2; exit 1; }
generated=$(mktemp)
trap 'rm -f "$generated" "$generated.new"' EXIT
"$ocib" help --markdown > "$generated"
awk -v b="$begin" -v e="$end" -v g="$generated" '
  $0 == b { print; while ((getline line < g) > 0) print line; skip = 1; next }
  $0 == e { skip = 0 }
  !skip { print }' "$readme" > "$generated.new"
cat "$generated.new" > "$readme"
