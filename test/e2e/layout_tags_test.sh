#!/usr/bin/env bash
# An existing layout gains the new tag and keeps every earlier tag and blob;
# two builds into the same layout at the same time both end up tagged.
source "$(dirname "$0")/lib.sh"
need go jq

go_build linux/amd64 "$T/hello-amd64"
go_build linux/arm64 "$T/hello-arm64"
a=$("$OCIB" build -q --binary linux/amd64="$T/hello-amd64" --output "oci:$T/out:a")
blobs_a=$(find "$T/out/blobs" -type f | sort)
# libcurl is loaded on the first HTTP request only (lib/http/curl_api.h)
# and libarchive on the first archive read (lib/archive/libarchive_api.h):
# a layout build maps neither (tar streams are ocib's own, lib/archive/
# tar_writer.h).
LD_DEBUG=libs "$OCIB" build -q --binary linux/amd64="$T/hello-amd64" --output "oci:$T/nocurl:x" \
  > /dev/null 2> "$T/ld.log"
check "the dynamic loader log is there (it shows libzstd loaded)" grep -q "libzstd.so" "$T/ld.log"
check "a layout build does not load libcurl" bash -c "! grep -q 'libcurl' '$T/ld.log'"
check "a layout build does not load libarchive (nor its libxml2 and ICU)" bash -c "! grep -qE 'libarchive|libicu' '$T/ld.log'"
b=$("$OCIB" build -q --binary linux/arm64="$T/hello-arm64" --label v=b --output "oci:$T/out:b")
expect_eq "tag a is kept" "$(tagged "$T/out" a)" "$a"
expect_eq "tag b is added" "$(tagged "$T/out" b)" "$b"
missing=$(comm -23 <(echo "$blobs_a") <(find "$T/out/blobs" -type f | sort))
expect_eq "every earlier blob is kept" "$missing" ""
c=$("$OCIB" build -q --binary linux/arm64="$T/hello-arm64" --label v=c --output "oci:$T/out:a")
expect_eq "re-tagging a moves it" "$(tagged "$T/out" a)" "$c"
expect_eq "index.json has two tagged entries" "$(jq '[.manifests[]|select(.annotations["org.opencontainers.image.ref.name"])]|length' "$T/out/index.json")" 2

# Concurrent builds into one layout.
pids=()
for i in 1 2 3 4; do
  "$OCIB" build -q --binary linux/amd64="$T/hello-amd64" --label n=$i --output "oci:$T/out:c$i" > "$T/d$i" 2>"$T/e$i" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent build failed"; done
for i in 1 2 3 4; do
  expect_eq "concurrent build $i is tagged" "$(tagged "$T/out" c$i)" "$(cat "$T/d$i")"
done
expect_eq "earlier tags survive concurrent builds" "$(tagged "$T/out" b)" "$b"
check "no temporary files are left" bash -c "! find '$T/out' -name '*.tmp-*' | grep -q ."
check "the layout validates" "$OCIB" validate "oci:$T/out"
finish
