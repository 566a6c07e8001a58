#!/usr/bin/env bash
# bench/monorepo.sh — a monorepo's build file: N two-platform images with
# SBOMs, each pushed to its own repository of one registry reached through
# a proxy adding 25 ms to every request; parallel (default --jobs) against
# sequential (--jobs 1) in the same run.
#
# Usage: bench/monorepo.sh [-n "20 100 200"] [-d DELAY_MS] [-b OCIB] [-o OUTDIR] [-s]
#   -n COUNTS  image counts (default "20 100 200")
#   -d MS      delay per request at the proxy (default 25)
#   -b OCIB    the ocib binary (default: build/ci/cli/ocib of this checkout)
#   -o OUTDIR  where table.md and the logs go (default /tmp/ocib-monorepo-bench)
#   -s         skip the sequential (--jobs 1) cold rows above 20 images
#
# Workload: fixtures/go/hello built for linux/amd64 and linux/arm64 once;
# image i gets those binaries with "image-i" appended (distinct layers and
# SBOM-bearing binaries per image), the embedded static base, SPDX SBOMs,
# zstd, tag REG/svc-i:v1, no --output. Per image 8 blobs, 3 of them the same
# in every image (the base layer, and the SBOM artifacts' empty config... as
# the build makes them).
# Registry: Debian's docker-registry on 127.0.0.1 (filesystem storage,
# plain HTTP), behind bench/delayproxy.py, which counts requests and the
# blob bytes uploaded (PUT/PATCH bodies to /blobs/uploads/).
# Rows, per count N:
#   seq-cold   ocib build -f --jobs 1 into a fresh registry
#   par-cold   ocib build -f (default --jobs) into another fresh registry
#   par-warm   the same again (every tag already names its digest), with
#              the push record the cold run left in the cache: the tag
#              alone per image
#   par-warm-fresh  the same with an empty cache (another machine): the
#              tag and the last SBOM per image
#   par-warm-tag  the same with --check-referrers none: the tag alone
# Columns: wall, requests, requests per image, blob bytes uploaded, and the
# bytes of the distinct blobs among them (equal when no blob is sent
# twice). Digests of seq-cold and par-cold are compared.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
COUNTS="20 100 200" DELAY=25 OCIB_BIN="$SRC/build/ci/cli/ocib" OUT=/tmp/ocib-monorepo-bench SKIPSEQ=0
while getopts "n:d:b:o:s" opt; do
  case $opt in
    n) COUNTS=$OPTARG ;; d) DELAY=$OPTARG ;; b) OCIB_BIN=$OPTARG ;; o) OUT=$OPTARG ;; s) SKIPSEQ=1 ;;
    *) sed -n '2,30p' "$0"; exit 2 ;;
  esac
done
for c in docker-registry python3 curl jq go; do
  command -v "$c" >/dev/null || { echo "monorepo.sh: missing $c" >&2; exit 1; }
done
[ -x "$OCIB_BIN" ] || { echo "monorepo.sh: no ocib binary at $OCIB_BIN (-b)" >&2; exit 1; }
mkdir -p "$OUT"
W=$(mktemp -d /tmp/ocib-monorepo.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
export DOCKER_CONFIG=$W/docker-config REGISTRY_AUTH_FILE=$W/no-auth.json XDG_CACHE_HOME=$W/cache
export OCIB_CERTS_D_DIRS=$W/no-certs.d NO_PROXY='*'
unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy || true

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_http() {
  local i
  for i in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  return 1
}

# start_registry NAME: a fresh docker-registry and its delay proxy; sets
# PROXY (host:port).
start_registry() {
  local port pport dir=$W/reg-$1
  port=$(free_port); pport=$(free_port)
  mkdir -p "$dir/data"
  cat > "$dir/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: bench-$port
YML
  env -u REGISTRY_AUTH_FILE docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$port/v2/" || { echo "registry did not start" >&2; exit 1; }
  python3 "$HERE/delayproxy.py" --listen "127.0.0.1:$pport" --upstream "127.0.0.1:$port" \
    --delay-ms "$DELAY" 2> "$dir/proxy.err" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$pport/_stats" || { echo "proxy did not start" >&2; exit 1; }
  PROXY=127.0.0.1:$pport
}
stats() { curl -s "http://$1/_stats"; }
reset_stats() { curl -s -X POST -o /dev/null "http://$1/_reset"; }

# The binaries: built once; each image appends its own bytes.
for arch in amd64 arm64; do
  (cd "$SRC/fixtures/go/hello" && CGO_ENABLED=0 GOOS=linux GOARCH=$arch GOFLAGS=-mod=mod GOPROXY=off \
     GOCACHE="${OCIB_GOCACHE:-$W/gocache}" GOPATH="$W/gopath" \
     go build -trimpath -buildvcs=false -ldflags="-buildid=" -o "$W/hello-$arch" .)
done

# make_file N REG: the build file of N images pushed to REG.
make_file() {
  local n=$1 reg=$2 i dir=$W/bins-$1
  mkdir -p "$dir"
  {
    echo '{"images": ['
    for i in $(seq 1 "$n"); do
      for arch in amd64 arm64; do
        [ -f "$dir/svc-$i-$arch" ] || { cp "$W/hello-$arch" "$dir/svc-$i-$arch"; printf 'image-%s' "$i" >> "$dir/svc-$i-$arch"; }
      done
      [ "$i" = 1 ] || echo ','
      printf '{"name": "svc-%s", "binaries": {"linux/amd64": "%s", "linux/arm64": "%s"}, "tags": ["%s/svc-%s:v1"]}\n' \
        "$i" "$dir/svc-$i-amd64" "$dir/svc-$i-arm64" "$reg" "$i"
    done
    echo ']}'
  } > "$W/file-$n.json"
}

now() { date +%s.%N; }
ROWS=()
# run LABEL N JOBS_FLAG: one build of the file; appends a table row.
run() {
  local label=$1 n=$2 jobs=$3 t0 t1 s wall req blob distinct
  reset_stats "$PROXY"
  t0=$(now)
  # Each registry's runs have their own layer cache (and push record),
  # cold at the first; par-warm-fresh has one of its own, always empty.
  local cache=$W/cache-${label%%-*}-$n
  [ "$label" != par-warm-fresh ] || cache=$W/cache-fresh-$n-$RANDOM
  if ! XDG_CACHE_HOME=$cache "$OCIB_BIN" build -q -f "$W/file-$n.json" $jobs > "$OUT/$label-$n.out" 2> "$OUT/$label-$n.err"; then
    echo "monorepo.sh: $label $n failed:" >&2; tail -5 "$OUT/$label-$n.err" >&2; exit 1
  fi
  t1=$(now)
  s=$(stats "$PROXY")
  wall=$(echo "$t1 - $t0" | bc -l)
  req=$(jq .requests <<<"$s"); blob=$(jq .blob_upload_bytes <<<"$s")
  distinct=$(jq .distinct_blob_bytes <<<"$s")
  ROWS+=("$(printf '| %s | %d | %.2f s | %.3f s | %d | %.1f | %d | %d |' "$label" "$n" "$wall" \
    "$(echo "$wall / $n" | bc -l)" "$req" "$(echo "$req / $n" | bc -l)" "$blob" "$distinct")")
  echo "${ROWS[-1]}" >&2
  eval "WALL_${label//-/_}_$n=$wall"
}

SUMMARY=()
for n in $COUNTS; do
  start_registry "seq-$n"; SEQ=$PROXY
  start_registry "par-$n"; PAR=$PROXY
  make_file "$n" "$SEQ"; cp "$W/file-$n.json" "$W/file-seq-$n.json"
  if [ "$SKIPSEQ" = 0 ] || [ "$n" -le 20 ]; then
    cp "$W/file-seq-$n.json" "$W/file-$n.json"; PROXY=$SEQ; run seq-cold "$n" "--jobs 1"
  fi
  sed "s|$SEQ/|$PAR/|g" "$W/file-seq-$n.json" > "$W/file-$n.json"
  PROXY=$PAR
  run par-cold "$n" ""
  run par-warm "$n" ""
  run par-warm-fresh "$n" ""
  run par-warm-tag "$n" "--check-referrers none"
  if [ -f "$OUT/seq-cold-$n.out" ]; then
    if diff <(sed "s|$SEQ/||" "$OUT/seq-cold-$n.out") <(sed "s|$PAR/||" "$OUT/par-cold-$n.out") > /dev/null; then
      SUMMARY+=("$n images: digests identical at --jobs 1 and the default")
    else
      SUMMARY+=("$n images: DIGESTS DIFFER between --jobs 1 and the default")
    fi
    seq_var=WALL_seq_cold_$n; par_var=WALL_par_cold_$n
    SUMMARY+=("$n images: cold speed-up $(printf '%.1f' "$(echo "${!seq_var} / ${!par_var}" | bc -l)")x")
  fi
done

{
  echo "| row | images | wall | per image | requests | per image | blob bytes uploaded | distinct blob bytes |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  printf -- '- %s\n' "${SUMMARY[@]}"
} | tee "$OUT/table.md"
