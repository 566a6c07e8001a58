#!/usr/bin/env bash
# A full disk in the middle of a build: ocib fails with a message naming
# what it was writing and why (exit 1), the existing layout stays valid with
# its tags, and no partial blob or temporary file is left in it. The layout
# lives on a small tmpfs mounted by the test (needs root; otherwise the test
# reports itself skipped, exit 77, and does not pass).
source "$(dirname "$0")/lib.sh"
need_or_skip go jq skopeo /usr/bin/python3

mkdir -p "$T/small"
if ! mount -t tmpfs -o size=3m tmpfs "$T/small" 2>"$T/mount-err"; then
  echo "SKIP: cannot mount a tmpfs ($(cat "$T/mount-err")); run as root" >&2
  exit 77
fi
cleanup_hooks+=("umount '$T/small'")

go_build linux/amd64 "$T/hello"
# 4 MiB of incompressible data: more than the tmpfs has left after v1.
head -c 4194304 /dev/urandom > "$T/noise"

"$OCIB" build -q --binary linux/amd64="$T/hello" --output "oci:$T/small/out:v1" >"$T/v1"
v1=$(cat "$T/v1")
index_before=$(sha256sum < "$T/small/out/index.json")

set +e
"$OCIB" build --binary linux/amd64="$T/hello" --file "$T/noise:/data/noise" \
  --output "oci:$T/small/out:v2" >"$T/stdout" 2>"$T/stderr"
rc=$?
set -e
expect_eq "a full disk exits 1 (I/O failure)" "$rc" 1
check "the message says the device is full" grep -q 'No space left on device' "$T/stderr"
check "the message says what was being built" grep -q 'building the shared layer' "$T/stderr"
check "the message names the output" grep -q "$T/small/out" "$T/stderr"
expect_eq "nothing on stdout" "$(cat "$T/stdout")" ""
expect_eq "index.json is unchanged" "$(sha256sum < "$T/small/out/index.json")" "$index_before"
expect_eq "v1 still names the same image" "$(tagged "$T/small/out" v1)" "$v1"
expect_eq "v2 was not tagged" "$(tagged "$T/small/out" v2)" ""
expect_eq "no temporary file is left in the layout" "$(find "$T/small/out" -name '*.tmp*' | wc -l)" 0
check "ocib validate passes on the layout (no partial blob)" "$OCIB" validate "oci:$T/small/out"
# Every blob's name is its digest.
bad=0
for f in "$T"/small/out/blobs/sha256/*; do
  [ "sha256:$(sha256sum "$f" | cut -d' ' -f1)" = "sha256:$(basename "$f")" ] || bad=$((bad + 1))
done
expect_eq "every blob file matches its name" "$bad" 0
raw=$(skopeo inspect --raw "oci:$T/small/out:v1" | sha256sum | cut -d' ' -f1)
expect_eq "skopeo still reads v1" "sha256:$raw" "$v1"
finish
