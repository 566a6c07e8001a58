#!/usr/bin/env bash
# Faults injected by faultproxy.py between ocib and a plain-HTTP registry:
# 500, 503, 429 + Retry-After, connections dropped mid-body (both ways),
# slow answers. Push (monolithic and chunked) and pull must complete and
# verify; corrupted blob bytes on pull must exit 6 and write nothing.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3
reg_start http
RULES=$T/rules.json
echo '[]' > "$RULES"
proxy_start "$REG" "$RULES"
IMG=$T/img
want=$(make_image "$IMG" v1)

cat > "$RULES" <<'J'
[
 {"method": "HEAD", "path": "/blobs/", "action": "status", "status": 429, "headers": {"Retry-After": "1"}, "times": 1},
 {"method": "POST", "path": "/blobs/uploads/", "action": "status", "status": 503, "times": 1},
 {"method": "PUT", "path": "/blobs/uploads/", "action": "status", "status": 500, "times": 1},
 {"method": "PUT", "path": "/blobs/uploads/", "action": "drop_request", "skip": 1, "times": 1},
 {"method": "PUT", "path": "/manifests/", "action": "status", "status": 502, "times": 1},
 {"method": "HEAD", "path": "/manifests/", "action": "slow", "seconds": 1.5, "times": 1}
]
J
start=$(date +%s)
out=$(timeout 300 "$OCIB" push "oci:$IMG:v1" "$PROXY/app:1" -v 2> "$T/push.err") || { cat "$T/push.err"; die "push through faults failed"; }
check "push through faults prints the digest" test "$out" = "$PROXY/app:1@$want"
for f in status drop_request slow; do
  check "fault '$f' was injected" grep -q "\"fault\": \"$f\"" "$PROXY_LOG"
done
check "429 Retry-After honoured (push took >= 1 s)" test $(( $(date +%s) - start )) -ge 1
raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/app:1")
check "registry holds the exact index" test "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$want"
skopeo copy --all -q --src-tls-verify=false "docker://$REG/app:1" "oci:$T/back:b" >/dev/null
check "skopeo copy --all of the faulted push verifies" test "$(layout_digest "$T/back" b)" = "$want"

# Chunked upload (PATCH + Content-Range) with a dropped PATCH and a 500.
BIG=$T/big
wantbig=$(make_image "$BIG" v1 --big 3000000 --seed big)
cat > "$RULES" <<'J'
[
 {"method": "PATCH", "path": "/blobs/uploads/", "action": "drop_request", "skip": 1, "times": 1},
 {"method": "PATCH", "path": "/blobs/uploads/", "action": "status", "status": 500, "skip": 3, "times": 1}
]
J
: > "$PROXY_LOG"
out=$(timeout 300 "$OCIB" push "oci:$BIG:v1" "$PROXY/big:1" --chunk-threshold 1000000 --chunk-size 1000000 -v 2> "$T/pushbig.err") \
  || { cat "$T/pushbig.err"; die "chunked push through faults failed"; }
check "chunked push prints the digest" test "$out" = "$PROXY/big:1@$wantbig"
check "chunked push used PATCH" grep -q '"method": "PATCH"' "$PROXY_LOG"
check "a PATCH was dropped" grep -q '"fault": "drop_request"' "$PROXY_LOG"
skopeo copy --all -q --src-tls-verify=false "docker://$REG/big:1" "oci:$T/backbig:b" >/dev/null
check "skopeo reads the chunked image back" test "$(layout_digest "$T/backbig" b)" = "$wantbig"

# Pull through dropped and failed blob responses.
cat > "$RULES" <<'J'
[
 {"method": "GET", "path": "/blobs/", "action": "drop_response", "times": 1},
 {"method": "GET", "path": "/blobs/", "action": "status", "status": 503, "times": 1},
 {"method": "GET", "path": "/manifests/", "action": "status", "status": 500, "times": 1}
]
J
out=$(timeout 300 "$OCIB" pull "$PROXY/big:1" "oci:$T/pulled:p" 2> "$T/pull.err") || { cat "$T/pull.err"; die "pull through faults failed"; }
check "pull through faults verifies" test "$(layout_digest "$T/pulled" p)" = "$wantbig"

# Corrupted bytes: digest mismatch, exit 6, nothing written.
echo '[{"method": "GET", "path": "/blobs/", "action": "corrupt", "times": -1}]' > "$RULES"
set +e
timeout 300 "$OCIB" pull "$PROXY/app:1" "oci:$T/corrupt:c" > "$T/corrupt.out" 2> "$T/corrupt.err"
rc=$?
set -e
check "corrupted pull exits 6 (digest mismatch)" test "$rc" = 6
check "corrupted pull says digest" grep -qi "digest" "$T/corrupt.err"
check "corrupted pull wrote nothing" test ! -e "$T/corrupt"
check "corrupted pull printed nothing on stdout" test ! -s "$T/corrupt.out"
# Into an existing layout: no tag appears, no corrupted blob is stored.
mkdir -p "$T/existing"
cp -r "$BIG"/. "$T/existing/"  # other blobs: app:1 must be fetched
set +e
timeout 300 "$OCIB" pull "$PROXY/app:1" "oci:$T/existing:new" > /dev/null 2>&1; rc=$?
set -e
check "corrupted pull into an existing layout exits 6" test "$rc" = 6
check "no tag was added" test -z "$(layout_digest "$T/existing" new)"

# HTTP_PROXY is honoured (curl's proxy environment): the proxy sees
# absolute-form requests.
echo '[]' > "$RULES"
: > "$PROXY_LOG"
out=$(HTTP_PROXY=http://$PROXY http_proxy=http://$PROXY NO_PROXY= no_proxy= "$OCIB" digest "$REG/app:1" 2> "$T/proxyenv.err") \
  || { cat "$T/proxyenv.err"; die "digest through HTTP_PROXY failed"; }
check "digest through HTTP_PROXY" test "$out" = "$want"
check "the proxy carried the request" grep -q "\"path\": \"http://$REG/v2/app/manifests/1\"" "$PROXY_LOG"

# Registry to registry copy streams blobs (no local copy) and survives a
# source connection dropped mid-blob, monolithic and chunked.
SRC_REG=$REG
reg_start http
echo '[{"method": "GET", "path": "/blobs/", "action": "drop_response", "times": 1}]' > "$RULES"
out=$(timeout 300 "$OCIB" copy "$PROXY/big:1" "$REG/big:copied" 2> "$T/copy.err") || { cat "$T/copy.err"; die "copy failed"; }
check "cross-registry copy prints REF@digest" test "$out" = "$REG/big:copied@$wantbig"
raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/big:copied")
check "cross-registry copy stored the exact index" test "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$wantbig"
echo '[{"method": "GET", "path": "/blobs/", "action": "drop_response", "skip": 1, "times": 1}]' > "$RULES"
out=$(timeout 300 "$OCIB" copy "$PROXY/big:1" "$REG/bigchunk:1" --chunk-threshold 1000000 --chunk-size 1000000 2> "$T/copy2.err") \
  || { cat "$T/copy2.err"; die "chunked copy failed"; }
check "chunked cross-registry copy prints REF@digest" test "$out" = "$REG/bigchunk:1@$wantbig"
skopeo copy --all -q --src-tls-verify=false "docker://$REG/bigchunk:1" "oci:$T/backcopy:b" >/dev/null
check "chunks were read with Range (206)" grep -q '"status": 206' "$PROXY_LOG"
check "skopeo reads the streamed copy back" test "$(layout_digest "$T/backcopy" b)" = "$wantbig"
check "no temp layout was left behind" bash -c "! ls /tmp | grep -q '^ocib-copy'"

# Unavailable registry: retries are bounded and exit 5.
echo '[{"method": "*", "path": "/v2/.+", "action": "status", "status": 503, "times": -1}]' > "$RULES"
set +e
start=$(date +%s)
timeout 300 "$OCIB" digest "$PROXY/app:1" > /dev/null 2> "$T/unavail.err"; rc=$?
set -e
check "persistent 503 exits 5 (unavailable)" test "$rc" = 5
check "retries are bounded in time" test $(( $(date +%s) - start )) -lt 60
finish
