#!/usr/bin/env bash
# Progress lines ("ocib: pushed sha256:... 1.2 KiB") go to stderr when
# stderr is a terminal, never to stdout; --quiet silences them; with stderr
# not a terminal (CI logs) there are none. The terminal is a pty from
# script(1) (bsdutils).
source "$(dirname "$0")/lib.sh"
need skopeo jq python3 script
reg_start http
IMG=$T/img
want=$(make_image "$IMG" v1)

# in_tty OUTFILE CMD...: runs CMD with stdin/stdout/stderr on a pty; what
# the terminal shows at the end goes to OUTFILE (per line, what follows the
# last CR, without erase-line sequences: the progress bar's frames are
# overwritten) and everything it was sent to OUTFILE.raw; returns CMD's
# status.
in_tty() {
  local out=$1; shift
  local cmd; printf -v cmd '%q ' "$@"
  script -q -e -c "$cmd" /dev/null < /dev/null > "$out.raw"
  local rc=$?
  sed -e 's/\r$//' -e 's/.*\r//' -e 's/\x1b\[K//g' "$out.raw" > "$out"
  return $rc
}
# The bar's frames: "ocib: [###---] 3/5 blobs, 1.2 KiB of 3.4 KiB, 5.6 KiB/s, 0 s left".
BAR='ocib: \[[#-]{24}\] [0-9]+/[0-9]+ blobs, [0-9.]+ (B|KiB|MiB) of [0-9.]+ (B|KiB|MiB), [0-9.]+ (B|KiB|MiB)/s, ([0-9]+ s|--) left'


# stderr on a terminal, stdout to a file.
in_tty "$T/push.tty" bash -c '"$0" push "oci:$1:v1" "$2" > "$3"' "$OCIB" "$IMG" "$REG/app:1" "$T/push.stdout" \
  || { cat "$T/push.tty"; die "push on a terminal failed"; }
check "terminal: stdout is exactly REF@digest" test "$(cat "$T/push.stdout")" = "$REG/app:1@$want"
nblobs=$(grep -c '^ocib: pushed sha256:' "$T/push.tty" || true)
check "terminal: one progress line per blob on stderr (5 blobs, got $nblobs)" test "$nblobs" = 5
check "terminal: manifests are reported" grep -q '^ocib: pushed manifest sha256:' "$T/push.tty"
check "terminal: a progress bar with bytes, rate and time left was drawn" grep -Eaq "$BAR" "$T/push.tty.raw"
last=$(grep -Eao "$BAR" "$T/push.tty.raw" | tail -1 || true)
check "terminal: the last frame counts every blob ($last)" grep -q ' 5/5 blobs' <<<"$last"
check "terminal: the bar is erased at the end" bash -c "! tail -1 '$T/push.tty' | grep -Eq '$BAR'"
check "terminal: the last thing sent erases the line" test "$(tail -c 4 "$T/push.tty.raw" | od -An -c | tr -d ' ')" = '\r033[K'
check "terminal: progress names sizes" grep -Eq '^ocib: pushed sha256:[0-9a-f]{12} [0-9.]+ (B|KiB|MiB)' "$T/push.tty"

in_tty "$T/again.tty" "$OCIB" push "oci:$IMG:v1" "$REG/app:1" || die "second push failed"
check "terminal: a second push says up to date" grep -q "^ocib: up to date: $REG/app:1@$want" "$T/again.tty"

in_tty "$T/pull.tty" "$OCIB" pull "$REG/app:1" "oci:$T/pulled:p" || die "pull on a terminal failed"
check "terminal: pull reports each blob" test "$(grep -c '^ocib: pulled sha256:' "$T/pull.tty" || true)" -ge 5
# Blobs finish on several threads at once: lines must not interleave.
check "terminal: every line is whole (one 'ocib: ' prefix, or the result)" \
  bash -c "! cat '$T/push.tty' '$T/pull.tty' | grep -Ev '^ocib: (pushed|pulled|exists) [^:]*:[0-9a-f]{12}( [0-9.]+ (B|KiB|MiB))?\$|^$REG/app:1@$want\$' | grep -q ."

# build --tag on a terminal reports its pushes the same way; -q silences them.
in_tty "$T/build.tty" "$OCIB" build --binary linux/amd64=/bin/true --sbom none --tag "$REG/built:1" \
  || { cat "$T/build.tty"; die "build --tag on a terminal failed"; }
check "build --tag: one progress line per blob (3 blobs: base, binary layer, config)" \
  test "$(grep -c '^ocib: pushed sha256:' "$T/build.tty" || true)" = 3
check "build --tag: the push is summed up" grep -q "^ocib: pushed $REG/built@sha256:.* (3 blobs uploaded" "$T/build.tty"
check "build --tag: the result line names the pushed reference" grep -q "^$REG/built:1@sha256:" "$T/build.tty"
in_tty "$T/buildq.tty" "$OCIB" build -q --binary linux/amd64=/bin/true --sbom none --tag "$REG/built:2" \
  || die "quiet build --tag failed"
check "build -q --tag: no progress lines" bash -c "! grep -q '^ocib: ' '$T/buildq.tty'"

# --quiet on a terminal: the result line only.
in_tty "$T/quiet.tty" "$OCIB" push -q "oci:$IMG:v1" "$REG/app:2" || die "quiet push failed"
check "--quiet: the terminal shows only REF@digest" test "$(cat "$T/quiet.tty")" = "$REG/app:2@$want"
in_tty "$T/quietpull.tty" "$OCIB" pull --quiet "$REG/app:2" "oci:$T/pulled2:p" || die "quiet pull failed"
check "--quiet: pull shows only REF@digest" test "$(cat "$T/quietpull.tty")" = "$REG/app:2@$want"

# Not a terminal (a CI log): no progress at all.
out=$("$OCIB" push "oci:$IMG:v1" "$REG/app:3" 2> "$T/ci.err") || { cat "$T/ci.err"; die "push failed"; }
check "no terminal: stdout is REF@digest" test "$out" = "$REG/app:3@$want"
check "no terminal: stderr is empty" test ! -s "$T/ci.err"
"$OCIB" pull "$REG/app:3" "oci:$T/pulled3:p" > /dev/null 2> "$T/cipull.err" || { cat "$T/cipull.err"; die "pull failed"; }
check "no terminal: pull writes nothing to stderr" test ! -s "$T/cipull.err"
# --json: one report on stdout; per blob its digest, size, action, seconds.
"$OCIB" push --json "oci:$IMG:v1" "$REG/json:1" > "$T/push.json" 2> "$T/json.err" || { cat "$T/json.err"; die "push --json failed"; }
check "--json: stdout is one JSON object" test "$(jq -s length "$T/push.json")" = 1
check "--json: the digest and the reference" \
  test "$(jq -r '.digest + " " + .references[0]' "$T/push.json")" = "$want $REG/json:1@$want"
check "--json: five blobs, each with digest, size, action and seconds" \
  test "$(jq '[.blobs[] | select((.digest|test("^sha256:[0-9a-f]{64}$")) and (.size|type=="number") and (.seconds>=0) and (.action|IN("uploaded","mounted","existed")))] | length' "$T/push.json")" = 5
# json/ is a new repository of the registry that holds app: its blobs were
# mounted from it, or uploaded (never "existed").
check "--json: no blob existed in a new repository" \
  test "$(jq '[.blobs[] | select(.action=="existed")] | length' "$T/push.json")" = 0
check "--json: counts add up" test "$(jq '.counts | add' "$T/push.json")" = 5
"$OCIB" push --json "oci:$IMG:v1" "$REG/json:1" > "$T/again.json" 2>/dev/null || die "second push --json failed"
check "--json: a second push skips every blob" \
  test "$(jq -r '[.blobs[].action] | unique | join(",")' "$T/again.json")" = skipped
"$OCIB" copy --json "$REG/json:1" "$REG/json-copy:1" > "$T/copy.json" 2>/dev/null || die "copy --json failed"
check "--json: copy within the registry mounts (no byte moved)" \
  test "$(jq -r '([.blobs[].action] | unique | join(",")) + " " + (.bytes|tostring)' "$T/copy.json")" = "mounted 0"
# --mount-from: another run mounts from a repository the user names.
"$OCIB" push --json --mount-from json "oci:$IMG:v1" "$REG/json-mounted:1" > "$T/mounted.json" 2>/dev/null \
  || die "push --mount-from failed"
check "--mount-from: every blob mounted from the named repository, no byte moved" \
  test "$(jq -r '([.blobs[].action] | unique | join(",")) + " " + (.bytes|tostring)' "$T/mounted.json")" = "mounted 0"
check "--mount-from: the registry saw the mounts" \
  test "$(grep -c 'POST /v2/json-mounted/blobs/uploads/?mount=.*from=json.* 201 ' "$REG_LOG" || true)" -ge 5
"$OCIB" pull --json "$REG/json:1" "oci:$T/jsonpull:p" > "$T/pull.json" 2>/dev/null || die "pull --json failed"
check "--json: pull downloads every blob" \
  test "$(jq '[.blobs[] | select(.action=="downloaded")] | length' "$T/pull.json")" = 5
check "--json: pull names what it wrote" test "$(jq -r '.references[0]' "$T/pull.json")" = "$REG/json:1@$want"
"$OCIB" build --json --binary linux/amd64=/bin/true --binary-unchecked --sbom none --tag "$REG/built:json" > "$T/build.json" 2>/dev/null \
  || die "build --json failed"
check "--json: build --tag reports its three pushed blobs" \
  test "$(jq '[.blobs[] | select(.action|IN("uploaded","mounted","existed"))] | length' "$T/build.json")" = 3
check "--json: build --tag reports its two new layers (base, binary) as built or cached" \
  test "$(jq '[.blobs[] | select(.action|IN("built","cached")) | select(.repository=="")] | length' "$T/build.json")" = 2
check "--json: build names the pushed reference" grep -q "^$REG/built:json@sha256:" <(jq -r '.references[0]' "$T/build.json")

# A build without --tag: the layers it compresses, on a bar and in --json.
head -c 3000000 /dev/urandom > "$T/big.bin"
in_tty "$T/local.tty" "$OCIB" build --no-cache --binary linux/amd64=/bin/true --binary-unchecked --sbom none \
  --file "$T/big.bin:/data/big.bin" --output "oci:$T/local:v1" || { cat "$T/local.tty"; die "build on a terminal failed"; }
check "build: a progress bar while the layers are compressed" grep -Eaq "$BAR" "$T/local.tty.raw"
last=$(grep -Eao "$BAR" "$T/local.tty.raw" | tail -1 || true)
check "build: the last frame counts the three new layers ($last)" grep -q ' 3/3 blobs' <<<"$last"
check "build: the last frame counts the shared file's megabytes ($last)" grep -Eq ' of [3-9]\.[0-9] MiB' <<<"$last"
check "build: the bar is erased, the digest is the last line, whole" \
  bash -c "tail -1 '$T/local.tty' | grep -Eqx 'sha256:[0-9a-f]{64}'"
"$OCIB" build --no-cache --json --binary linux/amd64=/bin/true --binary-unchecked --sbom none \
  --file "$T/big.bin:/data/big.bin" --output "oci:$T/local:v2" > "$T/local.json" 2>/dev/null || die "build --json failed"
check "build --json: three layers built" \
  test "$(jq -r '[.blobs[].action] | join(",")' "$T/local.json")" = built,built,built
for d in $(jq -r '.blobs[].digest' "$T/local.json"); do
  f=$T/local/blobs/sha256/${d#sha256:}
  check "build --json: $d is a blob of the layout, of the size reported" \
    test "$(stat -c %s "$f" 2>/dev/null)" = "$(jq --arg d "$d" '.blobs[] | select(.digest==$d) | .size' "$T/local.json")"
done
check "build --json: the digest is the layout's image" \
  test "$(jq -r .digest "$T/local.json")" = "$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="v2") | .digest' "$T/local/index.json")"
check "build --json: nothing moved over the network" test "$(jq .bytes "$T/local.json")" = 0
cache=$T/cache
"$OCIB" build --cache-dir "$cache" --json --binary linux/amd64=/bin/true --binary-unchecked --sbom none \
  --file "$T/big.bin:/data/big.bin" --output "oci:$T/local:v3" > /dev/null 2>&1 || die "cold cached build failed"
"$OCIB" build --cache-dir "$cache" --json --binary linux/amd64=/bin/true --binary-unchecked --sbom none \
  --file "$T/big.bin:/data/big.bin" --output "oci:$T/local:v4" > "$T/warm.json" 2>/dev/null || die "warm build failed"
check "build --json: a warm rebuild takes its three layers from the cache" \
  test "$(jq -r '[.blobs[].action] | join(",")' "$T/warm.json")" = cached,cached,cached

# build -f --json: one report per image, a JSON line each, in file order.
cat > "$T/two.json" <<EOF
{"images": [
  {"name": "one", "binaries": {"linux/amd64": "/bin/true"}, "binary_unchecked": true, "sbom": "none",
   "tags": ["$REG/file-one:1"]},
  {"name": "two", "binaries": {"linux/amd64": "/bin/echo"}, "binary_unchecked": true, "sbom": "none",
   "files": ["$T/big.bin:/data/big.bin"], "tags": ["$REG/file-two:1"]}
]}
EOF
"$OCIB" build -f "$T/two.json" --json > "$T/file.json" 2> "$T/file.err" || { cat "$T/file.err"; die "build -f --json failed"; }
check "build -f --json: two JSON lines" test "$(wc -l < "$T/file.json")" = 2
check "build -f --json: each line a JSON object" test "$(jq -s 'map(type) | unique | join(",")' -r "$T/file.json")" = object
check "build -f --json: in file order" \
  test "$(jq -r '.references[0] | sub("@.*"; "")' "$T/file.json" | paste -sd' ')" = "$REG/file-one:1 $REG/file-two:1"
check "build -f --json: the second image reports its three layers" \
  test "$(sed -n 2p "$T/file.json" | jq '[.blobs[] | select(.action|IN("built","cached"))] | length')" = 3
two=$(sed -n 2p "$T/file.json" | jq -r .digest)
check "build -f --json: the digest is the registry's" \
  test "$(skopeo inspect --tls-verify=false --raw "docker://$REG/file-two:1" | sha256sum | cut -c1-64)" = "${two#sha256:}"
in_tty "$T/file.tty" "$OCIB" build -f "$T/two.json" || { cat "$T/file.tty"; die "build -f on a terminal failed"; }
check "build -f: one bar for the file on a terminal" grep -Eaq "$BAR" "$T/file.tty.raw"
check "build -f: log lines keep their image prefix" grep -q '^ocib: \[two\] ' "$T/file.tty"
finish
