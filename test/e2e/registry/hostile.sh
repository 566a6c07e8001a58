#!/usr/bin/env bash
# Hostile and quirky registries, through faultproxy.py in front of a
# plain-HTTP docker-registry: a registry that restarts (connections hung
# up for 10 s) is survived; a trickling answer times out (--timeout,
# --retries); an oversized manifest is refused before it is read; chunks
# above a registry's limit are refused with 416 and never resent; a
# refused manifest PUT prints the registry's words.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3
reg_start http
RULES=$T/rules.json
echo '[]' > "$RULES"
proxy_start "$REG" "$RULES"
IMG=$T/img
want=$(make_image "$IMG" v1)

# A registry restarting for 10 s: every repository request is hung up.
echo '[{"method": "*", "path": "/v2/.+", "action": "hangup", "for_seconds": 10}]' > "$RULES"
start=$(date +%s)
out=$(timeout 300 "$OCIB" push "oci:$IMG:v1" "$PROXY/app:1" -v 2> "$T/restart.err") \
  || { cat "$T/restart.err"; die "push across a 10 s restart failed"; }
check "push across a 10 s restart prints the digest" test "$out" = "$PROXY/app:1@$want"
check "connections were hung up" grep -q '"fault": "hangup"' "$PROXY_LOG"
check "the push outlived the restart" test $(( $(date +%s) - start )) -ge 10

# A registry trickling its answer at 2 bytes/s times out.
echo '[{"method": "GET", "path": "/manifests/", "action": "trickle", "rate": 2, "times": -1}]' > "$RULES"
set +e
start=$(date +%s)
timeout 120 "$OCIB" digest "$PROXY/app:1" --timeout 2 --retries 1 > /dev/null 2> "$T/trickle.err"; rc=$?
set -e
check "trickling registry exits 5 (unavailable)" test "$rc" = 5
check "trickling registry: the error says it timed out" grep -qi "timed out" "$T/trickle.err"
check "trickling registry: bounded by --timeout and --retries" test $(( $(date +%s) - start )) -lt 30
check "--retries 1: two attempts" test "$(grep -c '"fault": "trickle"' "$PROXY_LOG")" = 2

# A manifest announcing 64 MiB is refused before its body is read.
echo '[{"method": "GET", "path": "/manifests/", "action": "huge", "size": 67108864, "times": -1}]' > "$RULES"
set +e
timeout 120 "$OCIB" digest "$PROXY/app:1" > /dev/null 2> "$T/huge.err"; rc=$?
set -e
check "oversized manifest exits 2" test "$rc" = 2
check "oversized manifest: the error says so" grep -q "too large" "$T/huge.err"

# Chunks above the registry's limit: 416 naming the limit, learnt at once.
BIG=$T/big
wantbig=$(make_image "$BIG" v1 --big 3000000 --seed big)
echo '[{"method": "PATCH", "path": "/blobs/uploads/", "action": "chunk_limit", "limit": 400000}]' > "$RULES"
: > "$PROXY_LOG"
out=$(timeout 300 "$OCIB" push "oci:$BIG:v1" "$PROXY/big:1" --chunk-threshold 1000000 --chunk-size 1000000 -v 2> "$T/chunk.err") \
  || { cat "$T/chunk.err"; die "push to a chunk-limited registry failed"; }
check "push to a chunk-limited registry prints the digest" test "$out" = "$PROXY/big:1@$wantbig"
check "a chunk was refused" grep -q '"fault": "chunk_limit"' "$PROXY_LOG"
refused=$(jq -r 'select(.fault == "chunk_limit") | .range' "$PROXY_LOG" | sort | uniq -d)
check "no refused chunk was sent twice" test -z "$refused"
check "later chunks respect the limit" \
  test -z "$(jq -r 'select(.method == "PATCH" and .fault == null and .length > 400000) | .range' "$PROXY_LOG")"
skopeo copy --all -q --src-tls-verify=false "docker://$REG/big:1" "oci:$T/backbig:b" >/dev/null
check "skopeo reads the chunk-limited push back" test "$(layout_digest "$T/backbig" b)" = "$wantbig"

# A refused manifest PUT keeps every error of the registry's answer.
cat > "$RULES" <<'J'
[{"method": "PUT", "path": "/manifests/", "action": "status", "status": 400, "times": -1,
  "body": {"errors": [{"code": "MANIFEST_INVALID", "message": "manifest invalid", "detail": "layer media type not allowed"},
                      {"code": "TAG_INVALID", "message": "tag is immutable", "detail": {"tag": "2"}}]}}]
J
set +e
timeout 120 "$OCIB" push "oci:$IMG:v1" "$PROXY/app:2" > /dev/null 2> "$T/refused.err"; rc=$?
set -e
check "refused manifest exits non-zero" test "$rc" != 0
for w in MANIFEST_INVALID "manifest invalid" "layer media type not allowed" TAG_INVALID "tag is immutable" \
         "app:2"; do
  check "refused manifest error names '$w'" grep -qF "$w" "$T/refused.err"
done
# The first manifest PUT refused may be a platform's manifest (pushed by
# digest before the index): the error names the document's media type.
check "refused manifest error names the document's media type" \
  grep -qE 'pushing application/vnd\.oci\.image\.(manifest|index)\.v1\+json sha256:' "$T/refused.err"
finish
