#!/usr/bin/env bash
# The layer cache: a rebuild with unchanged inputs compresses no layer and
# gives the same digests; a corrupt or truncated cached blob is caught and
# that layer is built again; builds sharing one cache concurrently agree;
# --no-cache and --cache-dir do what they say; `ocib cache verify` reads
# every cached layer and drops a changed one; `ocib cache prune` removes
# entries by last use and size.
source "$(dirname "$0")/lib.sh"
need go jq zstd /usr/bin/python3

go_build linux/amd64 "$T/hello-amd64"
go_build linux/arm64 "$T/hello-arm64"
mkdir -p "$T/files" && echo 'k=v' > "$T/files/app.conf"
touch -d '1 hour ago' "$T/hello-amd64" "$T/hello-arm64" "$T/files/app.conf"

build() { # OUT [flags]: prints the digest; stderr to $T/err
  local out=$1; shift
  "$OCIB" build --binary linux/amd64="$T/hello-amd64" --binary linux/arm64="$T/hello-arm64" \
    --file "$T/files:/etc/app" --output "oci:$out" "$@" 2>"$T/err"
}
report() { grep 'ocib: layers:' "$T/err"; }

# Cold: everything compressed, recorded under $XDG_CACHE_HOME/ocib.
cold=$(build "$T/o1")
check "a cold build compresses all four layers (base, shared, two binaries)" \
  grep -q 'layers: 4 compressed, 0 reused' "$T/err"
check "the cache is under \$XDG_CACHE_HOME/ocib" test -d "$XDG_CACHE_HOME/ocib/layers/blobs/sha256"

# Unchanged rebuild into a fresh layout: nothing compressed, same digest.
warm=$(build "$T/o2")
expect_eq "the rebuild gives the same digest" "$warm" "$cold"
check "the rebuild compresses no layer" grep -q 'layers: 0 compressed, 4 reused' "$T/err"
check "the rebuilt layout validates" "$OCIB" validate "oci:$T/o2"
check "the two layouts are byte-identical" diff -r "$T/o1" "$T/o2"

# Changing one input rebuilds exactly that layer.
echo 'k=w' > "$T/files/app.conf"
changed=$(build "$T/o3")
check "a changed shared file recompresses only the shared layer" \
  grep -q 'layers: 1 compressed, 3 reused' "$T/err"
[ "$changed" != "$cold" ] && pass "the changed input changes the digest" || fail "digest did not change"
echo 'k=v' > "$T/files/app.conf"
touch -d '1 hour ago' "$T/files/app.conf"

# Flip one byte of every cached blob of the amd64 binary layer.
amd_manifest=$(manifest_for "$T/o1" "$cold" amd64)
bin_layer=$(jq -r '.layers[-1].digest' "$(blob "$T/o1" "$amd_manifest")")
cached="$XDG_CACHE_HOME/ocib/layers/blobs/sha256/${bin_layer#sha256:}"
check "the binary layer is in the cache" test -f "$cached"
chmod u+w "$cached"
/usr/bin/python3 - "$cached" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[len(b) // 2] ^= 1
open(p, 'wb').write(b)
EOF
flipped=$(build "$T/o4")
expect_eq "a flipped byte in the cache still gives the right digest" "$flipped" "$cold"
check "the corrupt layer was compressed again, the others reused" \
  grep -q 'layers: 1 compressed, 3 reused' "$T/err"
check "the layout built after the corruption validates" "$OCIB" validate "oci:$T/o4"
expect_eq "the cache entry is repaired" "sha256:$(sha256sum "$cached" | cut -d' ' -f1)" "$bin_layer"

# A truncated cached blob likewise.
chmod u+w "$cached" && truncate -s 100 "$cached"
trunc=$(build "$T/o5")
expect_eq "a truncated cached blob still gives the right digest" "$trunc" "$cold"
check "the truncated layer was compressed again" grep -q 'layers: 1 compressed, 3 reused' "$T/err"
check "the layout built after the truncation validates" "$OCIB" validate "oci:$T/o5"

# An entry that names a blob the cache does not hold (a wrong digest): the
# documents a build makes from the cache entries before checking the blobs
# are made again from the rebuilt layer, and the result is still right.
entry=$(grep -rl "\"${bin_layer}\"" "$XDG_CACHE_HOME/ocib/keys")
check "the binary layer's cache entry exists" test -f "$entry"
sed -i "s/${bin_layer#sha256:}/$(printf x | sha256sum | cut -d' ' -f1)/" "$entry"
lying=$(build "$T/o7w")
expect_eq "an entry with a wrong digest still gives the right digest" "$lying" "$cold"
check "the layer with the wrong entry was compressed again" \
  grep -q 'layers: 1 compressed, 3 reused' "$T/err"
check "the layout built after the wrong entry validates" "$OCIB" validate "oci:$T/o7w"
n5=$(ls "$T/o5/blobs/sha256" | wc -l) n7=$(ls "$T/o7w/blobs/sha256" | wc -l)
check "documents made from the wrong entry were written, then made again ($n7 > $n5 blobs)" \
  test "$n7" -gt "$n5"
# (o5, not o1: o1's blobs are hard links to cache blobs corrupted above.)
check "the layout equals the last one but for unreferenced documents" \
  bash -c "diff '$T/o5/index.json' '$T/o7w/index.json' &&
           for b in \$(ls '$T/o5/blobs/sha256'); do cmp -s '$T/o5/blobs/sha256/'\$b '$T/o7w/blobs/sha256/'\$b || exit 1; done"

# --no-cache: neither reads nor writes it.
before=$(find "$XDG_CACHE_HOME" -type f | sort | sha256sum)
nc=$(build "$T/o6" --no-cache)
expect_eq "--no-cache gives the same digest" "$nc" "$cold"
check "--no-cache compresses every layer" grep -q 'layers: 4 compressed, 0 reused (layer cache off)' "$T/err"
expect_eq "--no-cache leaves the cache untouched" "$(find "$XDG_CACHE_HOME" -type f | sort | sha256sum)" "$before"

# --cache-dir: another directory, used instead of the default.
cd1=$(build "$T/o7" --cache-dir "$T/other-cache")
expect_eq "--cache-dir gives the same digest" "$cd1" "$cold"
check "--cache-dir starts cold" grep -q 'layers: 4 compressed' "$T/err"
check "--cache-dir names the directory in the report" grep -q "$T/other-cache" "$T/err"
# An unusable cache directory is an error before anything is written.
echo file > "$T/not-a-dir"
if build "$T/o8" --cache-dir "$T/not-a-dir/sub" >/dev/null; then
  fail "an unusable --cache-dir was accepted"
else
  pass "an unusable --cache-dir fails"
fi
check "the error names the cache directory" grep -q "layer cache $T/not-a-dir/sub" "$T/err"
check "no output was created for the failed build" test ! -e "$T/o8"

# Concurrent builds sharing one (cold) cache all agree and leave no temp files.
pids=()
for i in 1 2 3 4; do
  "$OCIB" build -q --binary linux/amd64="$T/hello-amd64" --binary linux/arm64="$T/hello-arm64" \
    --file "$T/files:/etc/app" --output "oci:$T/c$i" --cache-dir "$T/shared-cache" >"$T/d$i" 2>"$T/e$i" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent build failed"; done
for i in 1 2 3 4; do expect_eq "concurrent build $i gives the same digest" "$(cat "$T/d$i")" "$cold"; done
expect_eq "no temporary files are left in the shared cache" "$(find "$T/shared-cache" -name '*.tmp-*' | wc -l)" 0
again=$(build "$T/c5" --cache-dir "$T/shared-cache")
check "after the concurrent builds the shared cache serves every layer" \
  grep -q 'layers: 0 compressed, 4 reused' "$T/err"

# ocib cache prune. P holds two images' layers: the first image (hello) and
# a second whose amd64 binary differs; the second is used last.
P="$T/prune-cache"
build "$T/p1" --cache-dir "$P" >/dev/null
cp "$T/hello-amd64" "$T/other-amd64" && printf x >>"$T/other-amd64"
touch -d '1 hour ago' "$T/other-amd64"
"$OCIB" build --binary linux/amd64="$T/other-amd64" --binary linux/arm64="$T/hello-arm64" \
  --file "$T/files:/etc/app" --output "oci:$T/p2" --cache-dir "$P" >/dev/null 2>"$T/err"
check "the second image reuses the three layers it shares" grep -q 'layers: 1 compressed, 3 reused' "$T/err"
sizes() { find "$P/layers/blobs" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
"$OCIB" cache prune --cache-dir "$P" >"$T/pr0"
check "a prune without limits removes nothing" grep -q '^removed 0 layer(s), 0 bytes; kept 5 layer(s)' "$T/pr0"
# Make the first image's binary layer the least recently used entry.
hello_layer=$(jq -r '.layers[-1].digest' "$(blob "$T/p1" "$(manifest_for "$T/p1" "$(tagged "$T/p1" latest)" amd64)")")
hello_entry=$(grep -rl "\"${hello_layer}\"" "$P/keys")
touch -d '3 days ago' "$hello_entry"
hello_size=$(stat -c %s "$(blob "$T/p1" "$hello_layer")")
files_before=$(find "$P" | sort | md5sum)
"$OCIB" cache prune --cache-dir "$P" --unused-for 2d --dry-run >"$T/pr1-dry"
check "--dry-run says what it would remove" \
  grep -q "^would have removed 1 layer(s), $hello_size bytes; would have kept 4 layer(s)" "$T/pr1-dry"
expect_eq "--dry-run removes nothing" "$(find "$P" | sort | md5sum)" "$files_before"
"$OCIB" cache prune --cache-dir "$P" --unused-for 2d >"$T/pr1"
check "--unused-for 2d removes the one entry unused for three days and its blob" \
  grep -q "^removed 1 layer(s), $hello_size bytes; kept 4 layer(s)" "$T/pr1"
check "its blob is gone from the cache" test ! -e "$P/layers/blobs/sha256/${hello_layer#sha256:}"
check "the layout built from it still validates (its blob was a link)" "$OCIB" validate "oci:$T/p1"
build "$T/p3" --cache-dir "$P" >/dev/null
check "the pruned layer is compressed again, the others reused" grep -q 'layers: 1 compressed, 3 reused' "$T/err"
# --max-size keeps the most recently used entries that fit.
touch -d '1 day ago' "$P"/keys/*/*.json
touch "$hello_entry"
budget=$(( hello_size + 1 ))
"$OCIB" cache prune --cache-dir "$P" --max-size "$budget" >"$T/pr2"
check "--max-size keeps only the most recently used entry that fits" \
  grep -q "^removed 4 layer(s), [0-9]* bytes; kept 1 layer(s), $hello_size bytes" "$T/pr2"
check "the kept blobs fit the size" test "$(sizes)" -le "$budget"
build "$T/p4" --cache-dir "$P" >/dev/null
check "after --max-size the kept layer is reused" grep -q 'layers: 3 compressed, 1 reused' "$T/err"
"$OCIB" cache prune --cache-dir "$P" --all >"$T/pr3"
check "--all removes every entry" grep -q 'kept 0 layer(s), 0 bytes$' "$T/pr3"
expect_eq "--all leaves no blob" "$(find "$P/layers/blobs" -type f | wc -l)" 0
expect_eq "--all leaves no entry or shard directory" "$(find "$P/keys" "$P/files" -mindepth 1 | wc -l)" 0
build "$T/p5" --cache-dir "$P" >/dev/null
check "after --all every layer is compressed again" grep -q 'layers: 4 compressed, 0 reused' "$T/err"
# Usage errors and a missing cache.
set +e
"$OCIB" cache prune --cache-dir "$P" --unused-for 3weeks 2>"$T/err"; rc=$?
expect_eq "a duration without a known unit is a usage error (exit 2)" "$rc" 2
"$OCIB" cache prune --cache-dir "$T/no-such-cache" 2>"$T/err"; rc=$?
set -e
expect_eq "a directory without a cache is 'not found' (exit 4)" "$rc" 4
check "the error names the directory" grep -q "no layer cache in $T/no-such-cache" "$T/err"

# ocib cache verify: a full sha256 pass. P now holds the 4 layers of p5.
"$OCIB" cache verify --cache-dir "$P" >"$T/v0"
check "verify of an intact cache checks every layer" grep -q '^checked 4 layer(s), [0-9]* bytes; dropped 0 broken$' "$T/v0"
victim=$(jq -r '.layers[-1].digest' "$(blob "$T/p5" "$(manifest_for "$T/p5" "$(tagged "$T/p5" latest)" arm64)")")
vblob="$P/layers/blobs/sha256/${victim#sha256:}"
chmod u+w "$vblob"
printf '\x5a' | dd of="$vblob" bs=1 seek=100 conv=notrunc status=none
set +e
"$OCIB" cache verify --cache-dir "$P" >"$T/v1" 2>"$T/err"; rc=$?
set -e
expect_eq "verify with a changed blob exits 6" "$rc" 6
check "it drops that entry" grep -q '^checked 3 layer(s), [0-9]* bytes; dropped 1 broken$' "$T/v1"
check "it names the layer and the digest its content has" grep -q "cache verify: layer $victim: its content has digest sha256:" "$T/err"
check "the broken blob is gone" test ! -e "$vblob"
"$OCIB" cache verify --cache-dir "$P" >"$T/v2"
check "a second verify finds the rest intact" grep -q '^checked 3 layer(s), [0-9]* bytes; dropped 0 broken$' "$T/v2"
build "$T/p6" --cache-dir "$P" >/dev/null
check "the next build compresses that layer again" grep -q 'layers: 1 compressed, 3 reused' "$T/err"
finish
