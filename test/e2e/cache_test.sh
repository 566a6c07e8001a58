#!/usr/bin/env bash
# The layer cache: a rebuild with unchanged inputs compresses no layer and
# gives the same digests; a corrupt or truncated cached blob is caught and
# that layer is built again; builds sharing one cache concurrently agree;
# --no-cache and --cache-dir do what they say.
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
check "the error names the cache directory" grep -q 'cache-dir' "$T/err"
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
finish
