#!/usr/bin/env bash
# bench/rebuild.sh — the layer cache and `build --go`, measured in one run.
#
# Usage: bench/rebuild.sh [-r RUNS] [-o OUTDIR] [-b OCIB] [-g GOCACHE] [-k]
#   -r RUNS     hyperfine runs per row (default 5)
#   -o OUTDIR   where table.md and the hyperfine JSON go (default /tmp/ocib-rebuild-results)
#   -b OCIB     the ocib binary to measure (default: build the checkout in build/bench,
#               Release, tests off)
#   -g GOCACHE  reuse this Go build cache (default: a fresh one in the temp dir, which costs
#               minutes of compiling on 2 cores, untimed)
#   -k          keep the temp dir
#
# Workload: a two-platform image (linux/amd64 + linux/arm64) of fixtures/go/big (~15 MB
# static Go binary per platform) on the embedded static base, plus a shared layer with
# fixtures/go (a few source files), zstd level 3, written as an OCI layout. The binaries are
# compiled before the timed rows (go build is not part of rows 1-3).
#
#   cold        ocib build --binary ... with an empty --cache-dir: every layer compressed
#   unchanged   the same build again with the warm cache into a new layout: nothing
#               compressed; the cached layers are hard-linked, configs, manifests and SBOMs
#               written (and fsynced) again
#   unchanged-same  the same build into the layout it already wrote (the usual local rebuild)
#   one-source  the warm cache, binaries rebuilt (untimed) after changing one line of
#               main.go: the two binary layers are compressed, base and shared reused
#   go+binary   go build for each platform (sequentially, as a CI script does), then
#               ocib build --binary ... --no-cache
#   ocib --go   ocib build --go . --platform linux/amd64,linux/arm64 --no-cache
#               (same go flags: -trimpath -buildvcs=false; Go's own build cache warm for both)
#
# Targets: unchanged < 10% of cold; ocib --go <= 1.05x go+binary.
set -euo pipefail
export LC_ALL=C TZ=UTC
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
RUNS=5 RESULT=/tmp/ocib-rebuild-results OCIB="" KEEP=0 GOC=""
while getopts "r:o:b:g:k" opt; do
  case $opt in
    r) RUNS=$OPTARG ;; o) RESULT=$OPTARG ;; b) OCIB=$(readlink -f "$OPTARG") ;; k) KEEP=1 ;;
    g) mkdir -p "$OPTARG" && GOC=$(readlink -f "$OPTARG") ;;
    *) sed -n '2,27p' "$0"; exit 2 ;;
  esac
done
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

need=()
for t in hyperfine:hyperfine go:golang-go jq:jq cmake:cmake ninja:ninja-build; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "bench/rebuild.sh: missing ${need[*]} (install them or run as root)" >&2; exit 1; }
  log "installing ${need[*]}"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

mkdir -p "$RESULT"
RESULT=$(readlink -f "$RESULT")
W=$(mktemp -d /tmp/ocib-rebuild.XXXXXX)
cleanup() { if [ "$KEEP" = 1 ]; then log "kept $W"; else rm -rf "$W"; fi; }
trap cleanup EXIT
mkdir -p "$W/json" "$W/out"

if [ -z "$OCIB" ]; then
  log "building ocib (Release) in build/bench"
  cmake -S "$REPO" -B "$REPO/build/bench" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOCIB_BUILD_TESTS=OFF >"$W/cmake.txt"
  cmake --build "$REPO/build/bench" -j"$(nproc)" --target ocib_cli >>"$W/cmake.txt" 2>&1 ||
    { tail -20 "$W/cmake.txt" >&2; exit 1; }
  OCIB=$REPO/build/bench/cli/ocib
fi

export GOCACHE=${GOC:-$W/gocache} GOPATH=$W/gopath GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0
cp -r "$REPO/fixtures/go/big" "$W/src"
cp -r "$REPO/fixtures/go/big" "$W/src-changed"
sed -i 's/big from %s/big (changed) from %s/' "$W/src-changed/main.go"
cmp -s "$W/src/main.go" "$W/src-changed/main.go" && { echo "the source change did not apply" >&2; exit 1; }
gobuild() { # SRC ARCH OUT
  (cd "$1" && GOOS=linux GOARCH=$2 go build -trimpath -buildvcs=false -o "$3" .)
}
log "compiling fixtures/go/big for amd64 and arm64 (untimed; fills the Go build cache)"
for a in amd64 arm64; do
  gobuild "$W/src" "$a" "$W/bin-$a"
  gobuild "$W/src-changed" "$a" "$W/bin-changed-$a"
done
# Old enough that the cache remembers their content digests.
touch -d '1 hour ago' "$W"/bin-* 

ocib_bins() { # PREFIX OUT CACHE-FLAGS...
  local p=$1 out=$2
  shift 2
  echo "$OCIB build -q --binary linux/amd64=$W/$p-amd64 --binary linux/arm64=$W/$p-arm64 --file $REPO/fixtures/go:/src --compression zstd --compression-level 3 --output oci:$out $*"
}
bench() { # NAME WARMUP PREPARE COMMAND
  log "timing $1"
  hyperfine --style basic --runs "$RUNS" --warmup "$2" --prepare "$3" --export-json "$W/json/$1.json" "$4" >"$W/$1.txt" 2>&1 ||
    { cat "$W/$1.txt" >&2; exit 1; }
}
med() { jq -r '.results[0].median' "$W/json/$1.json"; }

# Rows 1-3: the cache.
# shellcheck disable=SC2046
# Every prepare step ends with `sync`, so that a row's fsyncs do not pay for
# the prepare step's writes.
bench cold 1 "rm -rf $W/out/cold $W/cache-cold && sync" "$(ocib_bins bin "$W/out/cold" --cache-dir "$W/cache-cold")"
$(ocib_bins bin "$W/out/warm-setup" --cache-dir "$W/cache-warm") >/dev/null # fills the warm cache
bench unchanged 1 "rm -rf $W/out/unchanged && sync" "$(ocib_bins bin "$W/out/unchanged" --cache-dir "$W/cache-warm")"
bench unchanged-same 1 "sync" "$(ocib_bins bin "$W/out/warm-setup" --cache-dir "$W/cache-warm")"
bench one-source 0 "rm -rf $W/out/one $W/cache-one && cp -a $W/cache-warm $W/cache-one && sync" \
  "$(ocib_bins bin-changed "$W/out/one" --cache-dir "$W/cache-one")"
# Each row's report: how many layers it compressed.
report() { # CACHE-DIR BIN-PREFIX: the build's "layers:" line (so without -q)
  local cmd
  cmd=$(ocib_bins "$2" "$W/out/report-$RANDOM" --cache-dir "$1")
  ${cmd/ -q / } 2>&1 >/dev/null | sed -n 's/^ocib: layers: \(.*\) from the layer cache.*/\1/p'
}
rm -rf "$W/cache-r1" && rep_cold=$(report "$W/cache-r1" bin)
rep_warm=$(report "$W/cache-warm" bin)
rep_same=$(cmd=$(ocib_bins bin "$W/out/warm-setup" --cache-dir "$W/cache-warm") && ${cmd/ -q / } 2>&1 >/dev/null | sed -n 's/^ocib: layers: \(.*\) from the layer cache.*/\1/p')
rm -rf "$W/cache-r2" && cp -a "$W/cache-warm" "$W/cache-r2" && rep_one=$(report "$W/cache-r2" bin-changed)

# Rows 4-5: build --go against go build + build --binary.
gobin_cmd="cd $W/src && GOOS=linux GOARCH=amd64 go build -trimpath -buildvcs=false -o $W/gb-amd64 . && GOOS=linux GOARCH=arm64 go build -trimpath -buildvcs=false -o $W/gb-arm64 . && $(ocib_bins gb "$W/out/gobin" --no-cache)"
bench go+binary 1 "rm -rf $W/out/gobin $W/gb-amd64 $W/gb-arm64 && sync" "$gobin_cmd"
ocibgo_cmd="$OCIB build -q --go . --go-dir $W/src --platform linux/amd64,linux/arm64 --file $REPO/fixtures/go:/src --compression zstd --compression-level 3 --output oci:$W/out/ocibgo --no-cache"
bench ocib-go 1 "rm -rf $W/out/ocibgo && sync" "$ocibgo_cmd"
d_gobin=$(jq -r '.manifests[0].digest' "$W/out/gobin/index.json")
d_ocibgo=$(jq -r '.manifests[0].digest' "$W/out/ocibgo/index.json")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }
ok() { awk -v v="$1" -v t="$2" 'BEGIN{print (v<=t) ? "**met**" : "**MISSED**"}'; }
r_unchanged=$(ratio "$(med unchanged)" "$(med cold)")
r_same=$(ratio "$(med unchanged-same)" "$(med cold)")
r_one=$(ratio "$(med one-source)" "$(med cold)")
r_go=$(ratio "$(med ocib-go)" "$(med go+binary)")
{
  echo "## ocib rebuild benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "$(nproc) cores; $(go version | awk '{print $3}'); hyperfine $(hyperfine --version | awk '{print $2}'); $RUNS runs per row, medians."
  echo
  echo "| row | median s | vs reference | ocib's report |"
  echo "|---|---:|---:|---|"
  printf '| cold (empty cache) | %.3f | 1.00 (reference) | %s |\n' "$(med cold)" "$rep_cold"
  printf '| unchanged, into a new layout (warm cache) | %.3f | %s of cold | %s |\n' "$(med unchanged)" "$r_unchanged" "$rep_warm"
  printf '| unchanged, into the same layout again | %.3f | %s of cold | %s |\n' "$(med unchanged-same)" "$r_same" "$rep_same"
  printf '| one Go source changed | %.3f | %s of cold | %s |\n' "$(med one-source)" "$r_one" "$rep_one"
  printf '| go build ×2 + ocib build --binary | %.3f | 1.00 (reference) | |\n' "$(med go+binary)"
  printf '| ocib build --go | %.3f | %sx | |\n' "$(med ocib-go)" "$r_go"
  echo
  echo "- unchanged rebuild into a new layout < 10% of cold: $r_unchanged → $(ok "$r_unchanged" 0.10)"
  echo "- unchanged rebuild into the same layout < 10% of cold: $r_same → $(ok "$r_same" 0.10)"
  echo "- ocib build --go ≤ 1.05x go build + --binary: ${r_go}x → $(ok "$r_go" 1.05)"
  if [ "$d_gobin" = "$d_ocibgo" ]; then
    echo "- check: both Go rows give the same image digest ($d_gobin)"
  else
    echo "- check: the Go rows' digests differ ($d_gobin vs $d_ocibgo)"
  fi
} | tee "$RESULT/table.md"
cp "$W"/json/*.json "$RESULT/"
