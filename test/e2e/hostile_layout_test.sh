#!/usr/bin/env bash
# Layouts from people the user does not control: FIFOs, devices and symbolic
# links in place of layout files, digests ocib cannot verify, unknown layout
# versions, corrupt blobs of the right size, lying base layers and temporary
# files of killed writers. Each gets a clear error and a documented exit
# code, never a hang, and leaves an existing layout as it was.
source "$(dirname "$0")/lib.sh"
need go jq python3 timeout
MAKE_LAYOUT=$OCIB_SOURCE_DIR/test/e2e/registry/make_layout.py

go_build linux/amd64 "$T/hello"
"$OCIB" build -q --binary linux/amd64="$T/hello" --output "oci:$T/good:v1" >/dev/null
img=$(tagged "$T/good" v1)

# run_ocib ARGS...: runs ocib (bounded: a hang is a failure), sets rc.
run_ocib() {
  set +e
  timeout 60 "$OCIB" "$@" >"$T/stdout" 2>"$T/stderr"
  rc=$?
  set -e
}
# expect DESC CODE MESSAGE ARGS...
expect() {
  local desc=$1 code=$2 msg=$3; shift 3
  run_ocib "$@"
  expect_eq "$desc: exit code" "$rc" "$code"
  if grep -qF -- "$msg" "$T/stderr"; then pass "$desc: says '$msg'"; else fail "$desc: '$(cat "$T/stderr")' lacks '$msg'"; fi
}
fresh_copy() { rm -rf "$T/$1"; cp -a "$T/good" "$T/$1"; }

# --- FIFOs and symbolic links in place of layout files -----------------------
fresh_copy fifo
rm "$T/fifo/index.json"; mkfifo "$T/fifo/index.json"
expect "FIFO index.json: validate" 2 "FIFO" validate "oci:$T/fifo"
expect "FIFO index.json: inspect" 2 "FIFO" inspect "oci:$T/fifo:v1"
expect "FIFO index.json: build --base" 2 "FIFO" build --base "oci:$T/fifo:v1" --binary linux/amd64="$T/hello" --output "oci:$T/fromfifo:v1"
check "FIFO base: no output layout left" test ! -e "$T/fromfifo"

fresh_copy fifoblob
manifest=$(manifest_for "$T/fifoblob" "$img" amd64 2>/dev/null || echo "$img")
config=$(jq -r .config.digest "$(blob "$T/fifoblob" "$manifest")")
rm "$(blob "$T/fifoblob" "$config")"; mkfifo "$(blob "$T/fifoblob" "$config")"
expect "FIFO blob: validate" 6 "FIFO" validate "oci:$T/fifoblob"
expect "FIFO blob: inspect" 2 "FIFO" inspect "oci:$T/fifoblob:v1"

fresh_copy passwd
rm "$(blob "$T/passwd" "$config")"; ln -s /etc/passwd "$(blob "$T/passwd" "$config")"
expect "blob symlinked to /etc/passwd: validate" 6 "symbolic link" validate "oci:$T/passwd"
expect "blob symlinked to /etc/passwd: inspect" 2 "symbolic link" inspect "oci:$T/passwd:v1"
check "blob symlinked to /etc/passwd: nothing of it printed" bash -c "! grep -q 'root:' '$T/stdout' '$T/stderr'"

fresh_copy zero
layer=$(jq -r '.layers[-1].digest' "$(blob "$T/zero" "$manifest")")
rm "$(blob "$T/zero" "$layer")"; ln -s /dev/zero "$(blob "$T/zero" "$layer")"
expect "blob symlinked to /dev/zero: validate ends" 6 "symbolic link" validate "oci:$T/zero"
# The binary lands elsewhere, so that the new layer differs from the
# symlinked one: a build whose own layer has that digest never reads it.
expect "blob symlinked to /dev/zero: build --base" 2 "symbolic link" build --base "oci:$T/zero:v1" --binary linux/amd64="$T/hello" --binary-path /app2 --output "oci:$T/fromzero:v1"
check "zero base: no output layout left" test ! -e "$T/fromzero"
# The same layer built again comes from the build itself, never from the
# symlink: the output validates.
run_ocib build -q --base "oci:$T/zero:v1" --binary linux/amd64="$T/hello" --output "oci:$T/samezero:v1"
expect_eq "symlinked layer built again: exit code" "$rc" 0
run_ocib validate "oci:$T/samezero"
expect_eq "symlinked layer built again: the output validates" "$rc" 0
check "symlinked layer built again: no symlink in the output" test -z "$(find "$T/samezero" -type l)"

# --- digests ocib cannot verify ------------------------------------------------
fresh_copy md5
jq '.manifests[0].digest = "md5:d41d8cd98f00b204e9800998ecf8427e"' "$T/good/index.json" > "$T/md5/index.json"
expect "md5 digest in index.json: validate" 2 '"md5" is not supported' validate "oci:$T/md5"
fresh_copy b3
jq --arg d "blake3:$(printf '%064d' 0)" '.manifests[0].digest = $d' "$T/good/index.json" > "$T/b3/index.json"
expect "blake3 digest: inspect" 2 '"blake3" is not supported' inspect "oci:$T/b3:v1"
expect "blake3 digest: build --base" 2 "not supported" build --base "oci:$T/b3:v1" --binary linux/amd64="$T/hello" --output "oci:$T/fromb3:v1"

# --- an imageLayoutVersion ocib does not know -----------------------------------
fresh_copy future
echo '{"imageLayoutVersion":"9.9.9"}' > "$T/future/oci-layout"
before=$(snapshot "$T/future")
expect "version 9.9.9: build into it" 2 "9.9.9" build --binary linux/amd64="$T/hello" --output "oci:$T/future:v2"
check "version 9.9.9: message names the file" grep -qF "$T/future/oci-layout" "$T/stderr"
expect_eq "version 9.9.9: layout unchanged" "$(snapshot "$T/future")" "$before"
expect "version 9.9.9: validate reports it" 6 'imageLayoutVersion "9.9.9"' validate "oci:$T/future"
run_ocib inspect "oci:$T/future:v1"
expect_eq "version 9.9.9: inspect still reads it" "$rc" 0

# --- a corrupt blob of the right size is replaced by a rebuild -----------------
fresh_copy rebuild
victim=$(blob "$T/rebuild" "$config")
size=$(stat -c %s "$victim")
chmod u+w "$victim"; head -c "$size" /dev/zero | tr '\0' 'x' > "$victim"
run_ocib validate "oci:$T/rebuild"
expect_eq "same-size corrupt blob: validate finds it" "$rc" 6
run_ocib build -q --binary linux/amd64="$T/hello" --output "oci:$T/rebuild:v1"
expect_eq "same-size corrupt blob: rebuild succeeds" "$rc" 0
run_ocib validate "oci:$T/rebuild"
expect_eq "same-size corrupt blob: the rebuild repaired it" "$rc" 0

# --- lying base layers -------------------------------------------------------
# relabel SRC DST TAG MEDIATYPE: a copy of layout SRC whose TAG image's last
# layer claims MEDIATYPE (manifest and index rewritten with new digests).
relabel() {
  python3 - "$@" <<'PY'
import hashlib, json, os, shutil, sys
src, dst, tag, mt = sys.argv[1:5]
shutil.copytree(src, dst)
def blob(d): return os.path.join(dst, "blobs", *d.split(":"))
def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob(d), "wb") as f: f.write(data)
    return d
idx = json.load(open(os.path.join(dst, "index.json")))
for e in idx["manifests"]:
    if e.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag: continue
    m = json.load(open(blob(e["digest"])))
    m["layers"][-1]["mediaType"] = mt
    data = json.dumps(m, separators=(",", ":")).encode()
    e["digest"], e["size"] = put(data), len(data)
json.dump(idx, open(os.path.join(dst, "index.json"), "w"))
PY
}
"$OCIB" build -q --compression zstd --binary linux/amd64="$T/hello" --output "oci:$T/zstdbase:v1" >/dev/null
relabel "$T/zstdbase" "$T/liar" v1 application/vnd.oci.image.layer.v1.tar+gzip
before=$(snapshot "$T/good")
expect "gzip media type on a zstd layer: build --base into an existing layout" 2 "its bytes are zstd" \
  build --base "oci:$T/liar:v1" --binary linux/amd64="$T/hello" --output "oci:$T/good:v9"
expect_eq "gzip media type on a zstd layer: existing layout unchanged" "$(snapshot "$T/good")" "$before"
expect "gzip media type on a zstd layer: build --base into a new path" 2 "its bytes are zstd" \
  build --base "oci:$T/liar:v1" --binary linux/amd64="$T/hello" --output "oci:$T/newout:v1"
check "gzip media type on a zstd layer: no layout at the new path" test ! -e "$T/newout"

fresh_copy swapped
blayer=$(jq -r '.layers[0].digest' "$(blob "$T/swapped" "$manifest")")
chmod u+w "$(blob "$T/swapped" "$blayer")"
cp "$T/hello" "$(blob "$T/swapped" "$blayer")"
expect "base layer whose bytes are another file: build --base" 6 "$blayer" \
  build --base "oci:$T/swapped:v1" --binary linux/amd64="$T/hello" --output "oci:$T/good:v9"
expect_eq "base layer whose bytes are another file: existing layout unchanged" "$(snapshot "$T/good")" "$before"
mkdir -p "$T/userdir"
expect "base layer whose bytes are another file: into an empty directory" 6 "$blayer" \
  build --base "oci:$T/swapped:v1" --binary linux/amd64="$T/hello" --output "oci:$T/userdir:v1"
expect_eq "the user's empty directory stays, empty" "$(ls -A "$T/userdir")" ""

# A failure after the layout was created (an unreadable --file) leaves none.
expect "failed build into a new path" 4 "$T/nofile" \
  build --binary linux/amd64="$T/hello" --file "$T/nofile:/x" --output "oci:$T/never:v1"
check "failed build into a new path: no empty layout left" test ! -e "$T/never/oci-layout"

# --- many tags: validate reads each blob once ----------------------------------
fresh_copy tags
for i in $(seq 1 40); do "$OCIB" build -q --binary linux/amd64="$T/hello" --output "oci:$T/tags:t$i" >/dev/null; done
run_ocib validate "oci:$T/tags"
expect_eq "40 tags of one image: validate passes" "$rc" 0
blobs=$(find "$T/tags/blobs/sha256" -type f | wc -l)
if grep -qE " ${blobs} blobs, " "$T/stderr"; then pass "40 tags: each of the $blobs blobs checked once"; else fail "40 tags: $(tail -1 "$T/stderr") (want $blobs blobs)"; fi

# --- temporary files of killed writers -----------------------------------------
fresh_copy temps
sh -c 'exit 0' & dead=$!; wait "$dead"
host=$(hostname | tr -c 'A-Za-z0-9.\n-' '_')
echo partial > "$T/temps/blobs/.tmp-$dead-0-1@$host"
echo partial > "$T/temps/index.json.tmp-$dead-0-1@$host"
sleep 600 & live=$!; cleanup_hooks+=("kill $live")
echo partial > "$T/temps/blobs/.tmp-$live-0-1@$host"
"$OCIB" build -q --binary linux/amd64="$T/hello" --output "oci:$T/temps:v2" >/dev/null
check "dead writer's blob temp removed by the next write" test ! -e "$T/temps/blobs/.tmp-$dead-0-1@$host"
check "dead writer's index temp removed by the next write" test ! -e "$T/temps/index.json.tmp-$dead-0-1@$host"
check "live writer's temp kept" test -e "$T/temps/blobs/.tmp-$live-0-1@$host"

finish
