#!/usr/bin/env bash
# The embedded static base, unpacked by umoci: /tmp is 1777, /home/nonroot
# belongs to 65532, the config's user is 65532:65532, and --file x:/tmp/x
# does not change /tmp's mode. Also --base scratch and --base oci:DIR[:TAG].
source "$(dirname "$0")/lib.sh"
need go jq skopeo umoci zstd tar

go_build linux/amd64 "$T/hello"
echo x > "$T/x"
d=$("$OCIB" build -q --binary linux/amd64="$T/hello" --file "$T/x:/tmp/x" --output "oci:$T/out:v1")
skopeo copy --quiet --dest-compress --dest-compress-format gzip "oci:$T/out:v1" "oci:$T/gz:img"
umoci unpack --image "$T/gz:img" "$T/b" >/dev/null
R="$T/b/rootfs"
expect_eq "/tmp is 1777 after adding /tmp/x" "$(stat -c %a "$R/tmp")" 1777
expect_eq "/tmp/x is there" "$(cat "$R/tmp/x")" x
expect_eq "/home/nonroot belongs to 65532:65532" "$(stat -c %u:%g "$R/home/nonroot")" "65532:65532"
expect_eq "/home/nonroot is 0700" "$(stat -c %a "$R/home/nonroot")" 700
check "/etc/passwd has nonroot 65532" grep -q '^nonroot:x:65532:65532:' "$R/etc/passwd"
check "/etc/passwd has nobody 65534" grep -q '^nobody:x:65534:65534:' "$R/etc/passwd"
check "/etc/group has nonroot" grep -q '^nonroot:x:65532:' "$R/etc/group"
check "/etc/nsswitch.conf exists" test -s "$R/etc/nsswitch.conf"
check "/etc/os-release exists" test -s "$R/etc/os-release"
check "the CA bundle holds certificates" grep -q 'BEGIN CERTIFICATE' "$R/etc/ssl/certs/ca-certificates.crt"
if [ -d /usr/share/zoneinfo ]; then
  check "zoneinfo is there when the build machine has tzdata" test -f "$R/usr/share/zoneinfo/UTC" -o -L "$R/usr/share/zoneinfo/UTC"
fi
expect_eq "process user is 65532" "$(jq -c '.process.user|[.uid,.gid]' "$T/b/config.json")" "[65532,65532]"
c=$(blob "$T/out" "$(jq -r .config.digest "$(blob "$T/out" "$d")")")
expect_eq "config user is 65532:65532" "$(jq -r .config.User "$c")" "65532:65532"
shared=$(jq -r '.layers[1].digest' "$(blob "$T/out" "$d")")
# List first, so a wrong blob path or a failed decompression fails the test
# instead of passing the "no tmp/ entry" check.
if zstd -dc "$(blob "$T/out" "$shared")" | tar -tf - >"$T/shared.list"; then
  pass "the shared layer decompresses and lists"
else
  fail "the shared layer decompresses and lists"
fi
check "the shared layer lists tmp/x" grep -qx 'tmp/x' "$T/shared.list"
check "the shared layer does not write tmp/ itself" bash -c "! grep -qx 'tmp/' '$T/shared.list'"

# The base digest is the same in two builds (same ocib binary).
d2=$("$OCIB" build -q --binary linux/amd64="$T/hello" --output "oci:$T/out2:v1")
b1=$(jq -r '.layers[0].digest' "$(blob "$T/out" "$d")")
b2=$(jq -r '.layers[0].digest' "$(blob "$T/out2" "$d2")")
expect_eq "the static base layer digest is stable" "$b1" "$b2"

# --base scratch: one layer, no user.
s=$("$OCIB" build -q --base scratch --binary linux/amd64="$T/hello" --output "oci:$T/scratch:v1")
expect_eq "scratch has only the binary layer" "$(jq '.layers|length' "$(blob "$T/scratch" "$s")")" 1
sc=$(blob "$T/scratch" "$(jq -r .config.digest "$(blob "$T/scratch" "$s")")")
expect_eq "scratch has no user" "$(jq -r '.config.User // ""' "$sc")" ""

# --base oci:DIR:TAG reuses the base's blobs byte for byte.
o=$("$OCIB" build -q --base "oci:$T/out:v1" --binary linux/amd64="$T/hello" --binary-path /bin/second --output "oci:$T/derived:v1")
m=$(blob "$T/derived" "$o")
# the base has 3 layers: static base, the shared /tmp/x layer, its binary
expect_eq "derived image has base layers plus one" "$(jq '.layers|length' "$m")" 4
for i in 0 1 2; do
  l=$(jq -r ".layers[$i].digest" "$m")
  check "base layer $i is byte-identical to the base's blob" cmp -s "$(blob "$T/derived" "$l")" "$(blob "$T/out" "$l")"
done
expect_eq "base.digest annotation names the base manifest" "$(jq -r '.annotations["org.opencontainers.image.base.digest"]' "$m")" "$d"
dc=$(blob "$T/derived" "$(jq -r .config.digest "$m")")
expect_eq "derived keeps the base's user" "$(jq -r .config.User "$dc")" "65532:65532"
expect_eq "derived history matches layers" "$(jq '[.history[]|select(.empty_layer!=true)]|length' "$dc")" 4
check "the derived layout validates" "$OCIB" validate "oci:$T/derived"
finish
