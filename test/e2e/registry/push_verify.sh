#!/usr/bin/env bash
# Every byte pushed from a layout is checked against its digest while it
# streams: a layer changed in place (same size, other bytes) makes the push
# fail with exit 6 before the upload is completed, monolithic or chunked, so
# the registry never holds the blob or a manifest naming it.
source "$(dirname "$0")/lib.sh"
need jq python3 curl
reg_start http

IMG=$T/img
make_image "$IMG" v1 --big 300000 > /dev/null
amd64=$(jq -r '.manifests[] | select(.platform.architecture=="amd64") | .digest' \
  "$IMG/blobs/sha256/$(layout_digest "$IMG" v1 | cut -d: -f2)")
layers=$(jq -r '.layers[].digest' "$IMG/blobs/sha256/${amd64#sha256:}")
shared=$(echo "$layers" | head -1)
path=$IMG/blobs/sha256/${shared#sha256:}
size=$(stat -c %s "$path")
# Flip the last byte: same size, other content.
python3 - "$path" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-1] ^= 0xff
open(p, "wb").write(bytes(b))
PY
check "the corrupt layer keeps its size" test "$(stat -c %s "$path")" = "$size"

push_case() { # NAME ARGS...
  local name=$1; shift
  set +e
  "$OCIB" push "oci:$IMG:v1" "$REG/ocib/$name:1" "$@" > "$T/$name.out" 2> "$T/$name.err"
  local rc=$?
  set -e
  check "$name: push exits 6 ($rc)" test "$rc" = 6
  check "$name: message names the blob and the mismatch" \
    bash -c "grep -qF '$shared' '$T/$name.err' && grep -q 'does not match its digest' '$T/$name.err'"
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -I "$REG_URL/v2/ocib/$name/blobs/$shared")
  check "$name: the registry does not hold the blob ($code)" test "$code" = 404
  code=$(curl -s -o /dev/null -w '%{http_code}' -I \
    -H 'Accept: application/vnd.oci.image.index.v1+json' "$REG_URL/v2/ocib/$name/manifests/1")
  check "$name: no tag was pushed ($code)" test "$code" = 404
}
push_case monolithic
push_case chunked --chunk-threshold 1 --chunk-size 65536
finish
