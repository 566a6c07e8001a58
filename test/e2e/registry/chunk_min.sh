#!/usr/bin/env bash
# OCI-Chunk-Min-Length: a registry that announces a minimum chunk length on
# POST /blobs/uploads/ gets every blob in PATCH chunks of at least that
# length (only the last chunk of a blob may be shorter), even below the
# chunking threshold and with a smaller --chunk-size. faultproxy.py adds the
# header in front of docker-registry (which accepts any chunk size) and logs
# each PATCH's Content-Range and length; skopeo reads the result back.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3
reg_start http
RULES=$T/rules.json
MIN=1500000
cat > "$RULES" <<J
[{"method": "POST", "path": "/blobs/uploads/\$", "action": "headers",
  "headers": {"OCI-Chunk-Min-Length": "$MIN"}, "times": -1}]
J
proxy_start "$REG" "$RULES"
IMG=$T/img
want=$(make_image "$IMG" v1 --big 3000000 --seed chunkmin)

out=$(timeout 300 "$OCIB" push "oci:$IMG:v1" "$PROXY/app:1" --chunk-size 1000000 2> "$T/push.err") \
  || { cat "$T/push.err"; die "push failed"; }
check "push prints REF@digest" test "$out" = "$PROXY/app:1@$want"
check "the proxy announced the minimum" grep -q '"fault": "headers"' "$PROXY_LOG"
check "no blob was uploaded in one PUT with a body" \
  bash -c "! grep '\"method\": \"PUT\"' '$PROXY_LOG' | grep '/blobs/uploads/' | grep -q '\"length\": [1-9]'"

# Every upload session: contiguous chunks from 0, each but the last >= MIN,
# adding up to the size of a blob of the layout.
python3 - "$PROXY_LOG" "$MIN" "$IMG" > "$T/chunks.txt" <<'PY' || fail "chunk sizes (see $T/chunks.txt)"
import json, os, sys
log, minimum, layout = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sizes = {os.path.getsize(os.path.join(layout, "blobs/sha256", f)) for f in os.listdir(os.path.join(layout, "blobs/sha256"))}
sessions = {}
for line in open(log):
    e = json.loads(line)
    if e["method"] == "PATCH":
        sessions.setdefault(e["path"].split("?")[0], []).append(e)
ok = bool(sessions)
multi = 0
for path, chunks in sessions.items():
    chunks.sort(key=lambda e: int(e["range"].split("-")[0]))
    at = 0
    for i, c in enumerate(chunks):
        start, end = (int(x) for x in c["range"].split("-"))
        length = c["length"]
        good = start == at and end - start + 1 == length and (length >= minimum or i == len(chunks) - 1)
        print(path, c["range"], length, "ok" if good else "BAD")
        ok &= good
        at = end + 1
    ok &= at in sizes
    multi += len(chunks) > 1
print("sessions:", len(sessions), "multi-chunk:", multi)
sys.exit(0 if ok and multi >= 1 else 1)
PY
check "every PATCH is at least $MIN bytes but a blob's last" grep -q "multi-chunk: [1-9]" "$T/chunks.txt"
check "a chunk of exactly $MIN bytes was sent (the --chunk-size 1000000 was raised)" \
  grep -q " 0-$((MIN - 1)) $MIN ok" "$T/chunks.txt"
raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/app:1")
check "registry holds the exact index" test "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$want"
skopeo copy --all -q --src-tls-verify=false "docker://$REG/app:1" "oci:$T/back:b" >/dev/null
check "skopeo copy --all reads the chunked upload back" test "$(layout_digest "$T/back" b)" = "$want"
for f in "$IMG"/blobs/sha256/*; do
  cmp -s "$f" "$T/back/blobs/sha256/$(basename "$f")" || fail "blob $(basename "$f") differs after the round trip"
done
finish
