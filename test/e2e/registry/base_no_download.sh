#!/usr/bin/env bash
# `ocib build --base REF --tag REF` without --output: the base's layers are
# never downloaded. Within one registry they are mounted from the base
# repository (the registry sees no GET of a base layer blob); across
# registries they stream from the source into the destination upload, and
# the base cache holds only the base's documents. The base is a Go image
# pushed by skopeo; the result runs.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3 go umoci
: "${OCIB_SOURCE_DIR:?set by ctest}" "${OCIB_BINARY_DIR:?set by ctest}"

# go_build PLATFORM OUT: a static binary of fixtures/go/hello.
go_build() {
  local os=${1%%/*} arch=${1#*/}
  (cd "$OCIB_SOURCE_DIR/fixtures/go/hello" && CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOFLAGS=-mod=mod \
     GOPROXY=off GOCACHE="${OCIB_GOCACHE:-$OCIB_BINARY_DIR/gocache}" GOPATH="$OCIB_BINARY_DIR/gopath" \
     go build -trimpath -buildvcs=false -ldflags="-buildid=" -o "$2" .)
}
# base_layers LAYOUT TAG: every layer digest of the tagged index.
base_layers() {
  local idx m
  idx=$(layout_digest "$1" "$2")
  for m in $(jq -r '.manifests[].digest' "$1/blobs/sha256/${idx#sha256:}"); do
    jq -r '.layers[].digest' "$1/blobs/sha256/${m#sha256:}"
  done | sort -u
}
# layer_gets LOG FROM_LINE: how many GETs of a base layer blob LOG has after FROM_LINE.
layer_gets() {
  local n=0 d c
  for d in $LAYERS; do
    c=$(tail -n +"$(($2 + 1))" "$1" | grep -c "\"GET /v2/[^ ]*/blobs/$d " || true)
    n=$((n + c))
  done
  echo "$n"
}
ocib_build() { # LOGFILE ARGS...: runs ocib build, dies with its stderr on failure
  local err=$1; shift
  "$OCIB" build "$@" > "$err.out" 2> "$err" || { cat "$err" >&2; die "ocib build $* failed"; }
}

go_build linux/amd64 "$T/hello-amd64" || die "go build linux/amd64"
go_build linux/arm64 "$T/hello-arm64" || die "go build linux/arm64"
BINS=(--binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64")
export SOURCE_DATE_EPOCH=1700000000

reg_start http
REG1=$REG LOG1=$REG_LOG URL1=$REG_URL
reg_start http
REG2=$REG LOG2=$REG_LOG

# The base: a two-platform Go image (static base + /bin/hello), pushed by skopeo.
ocib_build "$T/base.err" "${BINS[@]}" --binary-path /bin/hello --sbom none --output "oci:$T/base:1"
skopeo copy --all -q --dest-tls-verify=false "oci:$T/base:1" "docker://$REG1/ocib/base:1" \
  || die "skopeo copy of the base"
LAYERS=$(base_layers "$T/base" 1)
check "the base has layers" test -n "$LAYERS"

# (a) ocib reads what skopeo pushed.
check "ocib pull of the skopeo-pushed base" "$OCIB" pull "$REG1/ocib/base:1" "oci:$T/pulled:1"
check "the pulled base validates" "$OCIB" validate "oci:$T/pulled"

# (b) Same registry, no --output: base layers are mounted, never downloaded.
rm -rf "$XDG_CACHE_HOME"
before=$(reg_log_sync "$LOG1" "$URL1")
ocib_build "$T/app.err" --base "$REG1/ocib/base:1" "${BINS[@]}" --tag "$REG1/ocib/app:1"
reg_log_sync "$LOG1" "$URL1" >/dev/null
check "no GET of a base layer blob during the build ($(layer_gets "$LOG1" "$before"))" \
  test "$(layer_gets "$LOG1" "$before")" = 0
check "base layers were mounted from ocib/base" \
  grep -q '"POST /v2/ocib/app/blobs/uploads/?mount=.*from=ocib/base.*" 201' <(tail -n +"$((before + 1))" "$LOG1")
app1=$(grep -o 'sha256:[0-9a-f]\{64\}' "$T/app.err.out" | head -1)
check "build printed the pushed digest" test -n "$app1"

# (c) The result runs.
skopeo copy --all -q --src-tls-verify=false "docker://$REG1/ocib/app:1" "oci:$T/back:1" \
  || die "skopeo copy of the app"
check "skopeo reads the pushed index back" test "$(layout_digest "$T/back" 1)" = "$app1"
check "the pulled-back app validates" "$OCIB" validate "oci:$T/back"
skopeo copy -q --override-arch amd64 --dest-compress --dest-compress-format gzip \
  "oci:$T/back:1" "oci:$T/gz-amd64:img" || die "skopeo copy --override-arch amd64"
umoci unpack --image "$T/gz-amd64:img" "$T/bundle-amd64" > /dev/null || die "umoci unpack"
check "the base's binary is in the rootfs" test -x "$T/bundle-amd64/rootfs/bin/hello"
out=$("$T/bundle-amd64/rootfs/app" || true)
check "the amd64 binary runs ($out)" grep -q '^hello from linux/amd64 ' <<<"$out"

# (d) Across registries: streamed from REG1 into REG2, not kept on disk.
rm -rf "$XDG_CACHE_HOME"
ocib_build "$T/app2.err" --base "$REG1/ocib/base:1" "${BINS[@]}" --tag "$REG2/ocib/app:1"
app2=$(grep -o 'sha256:[0-9a-f]\{64\}' "$T/app2.err.out" | head -1)
# Same base, same base name, same binaries: the same digest.
check "REG2 has the same digest as REG1 ($app2)" test "$app2" = "$app1"
raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG2/ocib/app:1")
check "REG2's tag names it" test "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$app1"
kept=0
for d in $LAYERS; do
  if [ -n "$(find "$XDG_CACHE_HOME" -name "${d#sha256:}" 2>/dev/null)" ]; then kept=$((kept + 1)); fi
done
check "the base cache holds no base layer blob ($kept)" test "$kept" = 0
check "the base cache holds the base's documents" test -d "$XDG_CACHE_HOME/ocib/bases/blobs"
skopeo copy --all -q --src-tls-verify=false "docker://$REG2/ocib/app:1" "oci:$T/back2:1" \
  || die "skopeo copy from REG2"
check "REG2's copy validates" "$OCIB" validate "oci:$T/back2"

# With --output the layers are downloaded and verified into the layout.
rm -rf "$XDG_CACHE_HOME"
ocib_build "$T/app3.err" --base "$REG1/ocib/base:1" "${BINS[@]}" --output "oci:$T/out:1" \
  --tag "$REG2/ocib/app:2"
check "an --output layout with a registry base validates" "$OCIB" validate "oci:$T/out"
missing=0
for d in $LAYERS; do [ -f "$T/out/blobs/sha256/${d#sha256:}" ] || missing=$((missing + 1)); done
check "and holds every base layer ($missing missing)" test "$missing" = 0
finish
