# Shared helpers for ocib's end-to-end tests (sourced by each test script).
# Environment from ctest: OCIB (the binary), OCIB_SOURCE_DIR, OCIB_BINARY_DIR.
set -euo pipefail
: "${OCIB:?set by ctest}" "${OCIB_SOURCE_DIR:?set by ctest}" "${OCIB_BINARY_DIR:?set by ctest}"
export LC_ALL=C
# Lower-case path: skopeo rejects oci: paths with capitals.
T=$(mktemp -d /tmp/ocib-e2e.XXXXXX)
# Each test starts with its own empty layer cache.
export XDG_CACHE_HOME=$T/xdg-cache
cleanup_hooks=()
cleanup() {
  local h
  for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
  chmod -R u+rwX "$T" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
PASSED=0
FAILED=0

fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
pass() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
die() { echo "FATAL: $*" >&2; exit 1; }
# check DESC CMD...: runs CMD, records pass/fail.
check() {
  local desc=$1; shift
  if "$@"; then pass "$desc"; else fail "$desc"; fi
}
# expect_eq DESC GOT WANT
expect_eq() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi
}
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
need() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null || die "missing tool $t (run .ci/deps)"; done
}
# next_second: returns once the wall clock shows a new second (two runs
# around it differ in their current time; waits for that, not a fixed sleep).
next_second() {
  local s; s=$(date +%s)
  while [ "$(date +%s)" = "$s" ]; do sleep 0.05; done
}
# need_or_skip TOOL...: like need, but a missing tool makes the test report
# itself skipped (exit 77; the ctest test sets SKIP_RETURN_CODE 77).
need_or_skip() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "SKIP: missing tool $t (run .ci/deps)" >&2; exit 77; }
  done
}

# go_build PLATFORM OUT [SRC_DIR]: a static Go binary of fixtures/go/hello.
go_build() {
  local platform=$1 out=$2 src=${3:-$OCIB_SOURCE_DIR/fixtures/go/hello}
  local os=${platform%%/*} rest=${platform#*/} arch variant goarm=""
  arch=${rest%%/*}; variant=""; [ "$rest" != "$arch" ] && variant=${rest#*/}
  [ "$arch" = arm ] && goarm=${variant#v}
  (cd "$src" && CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOARM=${goarm:-7} GOFLAGS=-mod=mod GOPROXY=off \
     GOCACHE="${OCIB_GOCACHE:-$OCIB_BINARY_DIR/gocache}" GOPATH="$OCIB_BINARY_DIR/gopath" \
     go build -trimpath -buildvcs=false -ldflags="-buildid= -X main.goarm=$goarm" -o "$out" .)
}

# blob LAYOUT DIGEST: path of a blob.
blob() { echo "$1/blobs/${2%%:*}/${2#*:}"; }
# tagged LAYOUT TAG: the digest tagged TAG in index.json.
tagged() {
  jq -r --arg t "$2" '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]==$t).digest' "$1/index.json"
}
# manifest_for LAYOUT INDEX_DIGEST ARCH: the manifest digest for linux/ARCH.
manifest_for() {
  jq -r --arg a "$3" '.manifests[]|select(.platform.architecture==$a).digest' "$(blob "$1" "$2")"
}
# snapshot DIR: every path with its content hash, for byte-for-byte comparisons.
snapshot() {
  (cd "$1" && find . -printf '%p %y %m\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
