#!/usr/bin/env bash
# bench/build.sh — build benchmark: ocib vs buildah vs the physical floor.
#
# Usage: bench/build.sh [-r RUNS] [-R RUNS_1G] [-o OUTDIR] [-b OCIB] [-g GOCACHE] [-s] [-k]
#   -r RUNS     hyperfine runs per row (default 5)
#   -R RUNS_1G  runs of the 1 GiB rows (default 1: each takes ~10-60 s on 2 cores)
#   -o OUTDIR   where table.md, results.json and the hyperfine JSON go
#               (default /tmp/ocib-bench-results; must be lower-case, see below)
#   -b OCIB     the ocib binary to measure (default: build the checkout in
#               build/bench with CMake, Release, tests off)
#   -g GOCACHE  reuse this Go build cache (default: a fresh one in the temp dir,
#               which costs ~1-2 min of compiling on 2 cores, untimed)
#   -s          skip the 1 GiB peak-RSS measurement
#   -k          keep the temp dir (outputs, logs) instead of deleting it
#
# The workload, identical for every row: a two-platform image (linux/amd64 +
# linux/arm64, OCI image index) = the distroless-like "static" base layer + one
# layer holding a ~15 MB static Go binary (fixtures/go/big) at /app, zstd level 3,
# written as an OCI layout.
#
#   ocib      ocib build --binary linux/amd64=.. --binary linux/arm64=.. --compression zstd
#             --compression-level 3 --output oci:OUT:latest   (embedded static base)
#   buildah   per platform: from oci:BASE:ARCH, copy, config, commit, push --compression-format
#             zstd --compression-level 3 oci:OUT:ARCH; then manifest create/add/push --all.
#             vfs storage under the temp dir. BASE is the very same base layer ocib embeds: an
#             OCI layout derived (untimed, once) from an ocib build by dropping the binary layer,
#             so both tools start from identical base content and config.
#   floor     the physical floor for the new layers: for each platform, concurrently,
#             tar -c app | tee >(sha256sum) [diff_id] | zstd -3 -T0 | tee layer | sha256sum
#             [digest]. No base layer, no JSON, no layout: nothing a builder could skip.
#   floor-ossl  the same with `openssl dgst -sha256` instead of coreutils sha256sum, which has no
#             SHA-NI and runs ~4x slower here: the tighter floor (reported for information).
#   *-1g      peak RSS (and time) with a 1 GiB binary per platform (the platform's Go binary
#             repeated up to 1 GiB), for ocib and the floor.
#
# Timing: hyperfine medians (1 warmup run for ocib and floor; none for buildah, whose prepare
# step wipes its storage). Peak RSS: /usr/bin/time -f %M around each run, i.e. the largest
# single process of the run (getrusage), median over runs. Targets checked: ocib <= 1.25x the
# floor, buildah >= 8x ocib, ocib peak RSS < 64 MiB with 1 GiB binaries.
#
# Runs as root (buildah). Installs missing Debian packages with apt-get. All state lives in a
# temp dir under /tmp that is removed at exit. Known side effect outside it: c/image (buildah)
# writes /var/lib/containers/cache/blob-info-cache-v1.boltdb as root; there is no flag to move it.
# Paths must be lower-case: c/image rejects oci: paths with capitals.
set -euo pipefail
export LC_ALL=C TZ=UTC
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SELF="$HERE/build.sh"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
ARCHES=(amd64 arm64)

# ------------------------------------------------------------------ row bodies (run by hyperfine)
B_() { buildah --root "$W/bstore/root" --runroot "$W/bstore/run" --storage-driver vfs "$@"; }

run_buildah() {
  local out="$W/out/buildah" arch ctr
  for arch in "${ARCHES[@]}"; do
    ctr=$(B_ from --quiet --arch "$arch" "oci:$W/base:$arch")
    B_ copy --quiet "$ctr" "$W/bin/big-$arch" /app
    B_ config --entrypoint '["/app"]' --cmd '' --user 65532:65532 --arch "$arch" --os linux "$ctr"
    B_ commit --quiet --rm --timestamp "$SOURCE_DATE_EPOCH" --identity-label=false "$ctr" "localhost/bench:$arch" >/dev/null
    B_ push --quiet --compression-format zstd --compression-level 3 "localhost/bench:$arch" "oci:$out:$arch"
  done
  B_ manifest create localhost/bench-list >/dev/null
  for arch in "${ARCHES[@]}"; do B_ manifest add localhost/bench-list "oci:$out:$arch" >/dev/null; done
  B_ manifest push --quiet --all --format oci localhost/bench-list "oci:$out:latest"
}

run_floor() { # ROW SUFFIX HASHER...: SUFFIX "" (15 MB binaries) or "-1g"
  local d="$W/out/$1" sfx=$2 arch
  shift 2
  mkdir -p "$d"
  for arch in "${ARCHES[@]}"; do
    tar --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -C "$W/stage$sfx-$arch" -cf - app \
      | tee >("$@" > "$d/diffid-$arch") \
      | zstd -3 -T0 -q -c | tee "$d/layer-$arch" | "$@" > "$d/digest-$arch" &
  done
  wait
}

if [ "${1:-}" = _run ]; then
  : "${W:?}"
  case $2 in
    buildah) run_buildah ;;
    floor) run_floor floor "" sha256sum ;;
    floor-ossl) run_floor floor-ossl "" openssl dgst -sha256 -r ;;
    floor-1g) run_floor floor-1g -1g sha256sum ;;
    *) echo "unknown row $2" >&2; exit 2 ;;
  esac
  exit 0
fi

# ------------------------------------------------------------------ options, tools
RUNS=5 R1G=1 RESULT=/tmp/ocib-bench-results OCIB="" GOC="" SKIP1G=0 KEEP=0
while getopts r:R:o:b:g:skh opt; do
  case $opt in
    r) RUNS=$OPTARG ;; R) R1G=$OPTARG ;; o) RESULT=$OPTARG ;; b) OCIB=$OPTARG ;; g) GOC=$OPTARG ;;
    s) SKIP1G=1 ;; k) KEEP=1 ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "bench/build.sh: run as root (buildah, apt-get)" >&2; exit 1; }
case $RESULT in *[A-Z]*) echo "use a lower-case -o path" >&2; exit 1 ;; esac
RESULT=$(readlink -f "$RESULT")
[ -z "$GOC" ] || GOC=$(readlink -f "$GOC")   # go wants an absolute GOCACHE
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

need=()
for t in buildah:buildah hyperfine:hyperfine /usr/bin/time:time zstd:zstd go:golang-go jq:jq tar:tar; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

W=/tmp/ocib-bench.$$.$(date +%s)
mkdir -m 0700 "$W"
export W
cleanup() {
  cp "$W"/log/*.txt "$RESULT/" 2>/dev/null || true
  if [ "$KEEP" = 1 ]; then log "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
mkdir -p "$W/bin" "$W/out" "$W/json" "$W/rss" "$W/log" "$RESULT"

if [ -z "$OCIB" ]; then
  log "building ocib (build/bench, Release)"
  [ -f "$REPO/build/bench/build.ninja" ] || [ -f "$REPO/build/bench/Makefile" ] ||
    cmake -S "$REPO" -B "$REPO/build/bench" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOCIB_BUILD_TESTS=OFF > "$W/log/cmake.txt"
  cmake --build "$REPO/build/bench" -j"$(nproc)" --target ocib_cli >> "$W/log/cmake.txt" 2>&1 ||
    { tail -20 "$W/log/cmake.txt" >&2; exit 1; }
  OCIB=$REPO/build/bench/cli/ocib
  OCIB_LABEL="ocib built from the checkout at $(cd "$REPO" && git rev-parse --short HEAD)$(cd "$REPO" && git diff --quiet HEAD -- lib include cli 2>/dev/null || echo ' + uncommitted changes')"
else
  OCIB_LABEL="ocib binary $OCIB ($("$OCIB" --version 2>/dev/null || echo 'version ?'))"
fi
OCIB=$(readlink -f "$OCIB")
[ -x "$OCIB" ] || { echo "no ocib binary at $OCIB" >&2; exit 1; }

# ------------------------------------------------------------------ inputs (untimed)
log "compiling fixtures/go/big for ${ARCHES[*]}"
for arch in "${ARCHES[@]}"; do
  (cd "$REPO/fixtures/go/big" &&
    CGO_ENABLED=0 GOOS=linux GOARCH=$arch GOPROXY=off GOFLAGS=-mod=mod GOCACHE=${GOC:-$W/gocache} \
      GOPATH=$W/gopath go build -trimpath -buildvcs=false -ldflags=-buildid= -o "$W/bin/big-$arch" .)
  mkdir -p "$W/stage-$arch"
  install -m 0755 "$W/bin/big-$arch" "$W/stage-$arch/app"
  touch -d "@$SOURCE_DATE_EPOCH" "$W/stage-$arch/app"
done
[ -n "$GOC" ] || rm -rf "$W/gocache"
chmod -R u+w "$W/gopath" 2>/dev/null || true

# The buildah base: ocib's own static base, as an OCI layout with per-arch tags. Built by ocib
# with a 0-byte "binary", then the binary layer (last layer, last diff_id, last history entry,
# the entrypoint) is dropped from each manifest and config.
log "deriving the base layout for buildah from ocib's embedded static base"
: > "$W/empty"
"$OCIB" build -q --binary-unchecked --binary linux/amd64="$W/empty" --binary linux/arm64="$W/empty" \
  --compression zstd --compression-level 3 --output "oci:$W/seed:latest" > /dev/null
mkdir -p "$W/base/blobs/sha256"
cp "$W/seed/oci-layout" "$W/base/"
put() { # FILE MEDIATYPE -> descriptor JSON; stores the file as a blob of $W/base
  local dg sz; dg=$(sha256sum "$1" | cut -d' ' -f1); sz=$(stat -c %s "$1")
  mv "$1" "$W/base/blobs/sha256/$dg"
  jq -nc --arg mt "$2" --arg d "sha256:$dg" --argjson s "$sz" '{mediaType:$mt,digest:$d,size:$s}'
}
seedidx=$(jq -r '.manifests[0].digest|sub("sha256:";"")' "$W/seed/index.json")
entries=()
for arch in "${ARCHES[@]}"; do
  mdg=$(jq -r --arg a "$arch" '.manifests[]|select(.platform.architecture==$a).digest|sub("sha256:";"")' "$W/seed/blobs/sha256/$seedidx")
  man="$W/seed/blobs/sha256/$mdg"
  cdg=$(jq -r '.config.digest|sub("sha256:";"")' "$man")
  jq -c '.rootfs.diff_ids |= .[:-1] | .history |= .[:-1] | del(.config.Entrypoint)' \
    "$W/seed/blobs/sha256/$cdg" | tr -d '\n' > "$W/cfg.tmp"
  cdesc=$(put "$W/cfg.tmp" application/vnd.oci.image.config.v1+json)
  for l in $(jq -r '.layers[:-1][].digest|sub("sha256:";"")' "$man"); do
    cp "$W/seed/blobs/sha256/$l" "$W/base/blobs/sha256/$l"
  done
  jq -c --argjson c "$cdesc" '.config = $c | .layers |= .[:-1]' "$man" | tr -d '\n' > "$W/man.tmp"
  mdesc=$(put "$W/man.tmp" application/vnd.oci.image.manifest.v1+json)
  entries+=("$(jq -c --arg a "$arch" '. + {annotations:{"org.opencontainers.image.ref.name":$a},platform:{architecture:$a,os:"linux"}}' <<<"$mdesc")")
done
printf '%s\n' "${entries[@]}" | jq -sc '{schemaVersion:2,mediaType:"application/vnd.oci.image.index.v1+json",manifests:.}' > "$W/base/index.json"
BASE_LAYER=$(jq -r '.layers[0].digest' "$W/base/blobs/sha256/$(jq -r '.manifests[0].digest|sub("sha256:";"")' "$W/base/index.json")")
rm -rf "$W/seed"

# ------------------------------------------------------------------ timed rows
LOAD_START=$(cut -d" " -f1-3 /proc/loadavg)
rss_file() { echo "$W/rss/$1"; }
bench() { # NAME RUNS WARMUP PREPARE COMMAND...
  local name=$1 runs=$2 warm=$3 prep=$4; shift 4
  log "$name: $runs runs"
  : > "$(rss_file "$name")"
  hyperfine --style basic -N --runs "$runs" --warmup "$warm" --prepare "$prep" \
    --export-json "$W/json/$name.json" --command-name "$name" \
    "/usr/bin/time -f %M -a -o $(rss_file "$name") $*" > "$W/log/$name.txt" 2>&1 ||
    { log "$name FAILED:"; tail -15 "$W/log/$name.txt" >&2; return 1; }
  cp "$W/json/$name.json" "$RESULT/$name.json"
}

ocib_cmd() { # SUFFIX
  local s=$1
  echo "$OCIB build -q --no-cache --binary linux/amd64=$W/stage$s-amd64/app --binary linux/arm64=$W/stage$s-arm64/app --compression zstd --compression-level 3 --output oci:$W/out/ocib$s:latest"
}

# Interleave-free but same-session: floor, ocib, buildah, then the floor again (noise check).
bench floor "$RUNS" 1 "rm -rf $W/out/floor" bash "$SELF" _run floor
bench floor-ossl "$RUNS" 1 "rm -rf $W/out/floor-ossl" bash "$SELF" _run floor-ossl
# shellcheck disable=SC2046
bench ocib "$RUNS" 1 "rm -rf $W/out/ocib" $(ocib_cmd "")
bench buildah "$RUNS" 0 "rm -rf $W/bstore $W/out/buildah" bash "$SELF" _run buildah

if [ "$SKIP1G" = 0 ]; then
  log "making 1 GiB binaries (the Go binary repeated, truncated to 1 GiB)"
  for arch in "${ARCHES[@]}"; do
    mkdir -p "$W/stage-1g-$arch"
    f="$W/stage-1g-$arch/app"
    : > "$f"
    while [ "$(stat -c %s "$f")" -lt 1073741824 ]; do cat "$W/bin/big-$arch" >> "$f"; done
    truncate -s 1G "$f"; chmod 0755 "$f"; touch -d "@$SOURCE_DATE_EPOCH" "$f"
  done
  bench floor-1g "$R1G" 0 "rm -rf $W/out/floor-1g" bash "$SELF" _run floor-1g
  # shellcheck disable=SC2046
  bench ocib-1g "$R1G" 0 "rm -rf $W/out/ocib-1g" $(ocib_cmd "-1g")
fi

# ------------------------------------------------------------------ checks (untimed)
LOAD_END=$(cut -d" " -f1-3 /proc/loadavg)
log "checking outputs"
checks=()
"$OCIB" validate "oci:$W/out/ocib" 2> "$W/log/validate-ocib.txt" && checks+=("ocib validate: ok") ||
  checks+=("ocib validate: FAILED ($(tail -1 "$W/log/validate-ocib.txt"))")
"$OCIB" validate "oci:$W/out/buildah" 2> "$W/log/validate-buildah.txt" && checks+=("ocib validate of buildah's layout: ok") ||
  checks+=("ocib validate of buildah's layout: FAILED ($(tail -1 "$W/log/validate-buildah.txt"))")
layers_of() { # LAYOUT -> "N×zstd, base layer kept|recompressed"
  local lay=$1 idx m first
  idx=$(jq -r '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]=="latest").digest|sub("sha256:";"")' "$lay/index.json")
  m=$(jq -r '.manifests[0].digest|sub("sha256:";"")' "$lay/blobs/sha256/$idx")
  first=$(jq -r '.layers[0].digest' "$lay/blobs/sha256/$m")
  printf '%s per platform (%s), base layer %s' \
    "$(jq -r '.layers|length' "$lay/blobs/sha256/$m")" \
    "$(jq -r '[.layers[].mediaType|sub(".*tar\\+";"")]|unique|join(",")' "$lay/blobs/sha256/$m")" \
    "$([ "$first" = "$BASE_LAYER" ] && echo "= ocib's" || echo "recompressed")"
}
checks+=("ocib output: $(layers_of "$W/out/ocib")")
checks+=("buildah output: $(layers_of "$W/out/buildah")")
# same binary bytes in both? compare the diff_ids of the new layers with the floor's (tar headers
# differ between GNU tar, ocib's tar writer and Go archive/tar, so only report them)
for arch in "${ARCHES[@]}"; do
  checks+=("floor $arch: layer $(stat -c %s "$W/out/floor/layer-$arch") B, digest sha256:$(cut -c1-12 "$W/out/floor/digest-$arch")…")
done

# ------------------------------------------------------------------ table
med() { jq -r '.results[0].median' "$W/json/$1.json"; }
stat3() { jq -r '.results[0]|"\(.median) \(.min) \(.max) \(.user + .system)"' "$W/json/$1.json"; }
rss_med() { sort -n "$(rss_file "$1")" | awk '{a[NR]=$1} END{if(NR==0){print "-"} else {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1024}}'; }
rss_max() { sort -n "$(rss_file "$1")" | tail -1 | awk '{printf "%.1f", $1/1024}'; }
outsize() {
  case $1 in
    floor*) du -cb "$W/out/$1"/layer-* | tail -1 | awk '{printf "%.2f", $1/1048576}' ;;
    *) du -sb "$W/out/$1/blobs" | awk '{printf "%.2f", $1/1048576}' ;;
  esac
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
ok() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN{r = (op=="le") ? (v<=t) : (op=="ge") ? (v>=t) : (v<t); print r ? "**met**" : "**MISSED**"}'; }

R_OF=$(ratio "$(med ocib)" "$(med floor)")
R_BO=$(ratio "$(med buildah)" "$(med ocib)")
{
  echo "## ocib build benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))," \
    "$(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r);" \
    "runs=$RUNS; $OCIB_LABEL;" \
    "buildah $(buildah --version | awk '{print $3}'), zstd $(zstd --version | grep -o 'v[0-9.]*'), hyperfine $(hyperfine --version | awk '{print $2}'), $(go version | awk '{print $3}')."
  echo "Load average (1/5/15 min) before the timed rows: $LOAD_START; after: $LOAD_END."
  echo "Binaries: amd64 $(stat -c %s "$W/bin/big-amd64") B, arm64 $(stat -c %s "$W/bin/big-arm64") B; zstd level 3 everywhere."
  echo
  echo "| row | median s | min s | max s | CPU s (user+sys, mean) | peak RSS MiB (median / max) | output MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for r in floor floor-ossl ocib buildah floor-1g ocib-1g; do
    [ -f "$W/json/$r.json" ] || continue
    read -r a b c u < <(stat3 "$r")
    printf '| %s | %.3f | %.3f | %.3f | %.3f | %s / %s | %s |\n' "$r" "$a" "$b" "$c" "$u" "$(rss_med "$r")" "$(rss_max "$r")" "$(outsize "$r")"
  done
  echo
  echo "| target | measured | |"
  echo "|---|---:|---|"
  echo "| ocib / floor <= 1.25 | $R_OF | $(ok "$R_OF" 1.25 le) |"
  echo "| buildah / ocib >= 8 | $R_BO | $(ok "$R_BO" 8 ge) |"
  echo "| (info) ocib / floor-ossl (same floor, OpenSSL SHA-256 instead of coreutils) | $(ratio "$(med ocib)" "$(med floor-ossl)") | |"
  if [ -f "$W/json/ocib-1g.json" ]; then
    R1=$(rss_max ocib-1g)
    echo "| ocib peak RSS, 2 x 1 GiB binaries, < 64 MiB | $R1 MiB (max of runs) | $(ok "$R1" 64 lt) |"
    echo "| (info) ocib-1g / floor-1g | $(ratio "$(med ocib-1g)" "$(med floor-1g)") | |"
  fi
  echo
  for c in "${checks[@]}"; do echo "- $c"; done
} | tee "$RESULT/table.md"

jq -n --arg of "$R_OF" --arg bo "$R_BO" \
  --argjson floor "$(med floor)" --argjson ocib "$(med ocib)" --argjson buildah "$(med buildah)" \
  --arg rss_ocib "$(rss_med ocib)" --arg rss_1g "$( [ -f "$W/json/ocib-1g.json" ] && rss_max ocib-1g || echo null)" \
  '{median_s:{floor:$floor,ocib:$ocib,buildah:$buildah},ratio:{ocib_over_floor:($of|tonumber),buildah_over_ocib:($bo|tonumber)},peak_rss_mib:{ocib:($rss_ocib|tonumber),ocib_1g:($rss_1g|fromjson)}}' \
  > "$RESULT/results.json"
cp "$W"/log/*.txt "$RESULT/" 2>/dev/null || true
log "table in $RESULT/table.md"
