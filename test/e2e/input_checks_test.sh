#!/usr/bin/env bash
# Inputs that would build a wrong image are refused before anything is
# written (exit 2, the message names the input, the output layout stays
# byte-for-byte the same); directories merged onto the base keep the
# base's mode and owner; every spelling of a platform gives one digest.
source "$(dirname "$0")/lib.sh"
need go jq umoci tar

go_build linux/amd64 "$T/hello-amd64"
go_build linux/arm64 "$T/hello-arm64"
echo a > "$T/a.conf"
echo b > "$T/b.conf"
mkdir -p "$T/tree/sub" "$T/wh/etc"
echo x > "$T/tree/x"
echo y > "$T/tree/sub/y"
: > "$T/wh/etc/.wh.passwd"
printf '#!/bin/sh\necho hi\n' > "$T/script"
chmod 755 "$T/script"
"$OCIB" build -q --binary linux/amd64="$T/hello-amd64" --output "oci:$T/out:v1" >/dev/null
before=$(snapshot "$T/out")

# refused DESC MESSAGE ARGS...: ocib build ARGS exits 2, says MESSAGE, writes nothing.
refused() {
  local desc=$1 msg=$2; shift 2
  set +e
  "$OCIB" build "$@" --output "oci:$T/out:v2" >"$T/stdout" 2>"$T/stderr"
  local rc=$?
  set -e
  expect_eq "$desc: exit code" "$rc" 2
  if grep -qF -- "$msg" "$T/stderr"; then pass "$desc: message says '$msg'"; else fail "$desc: message '$(cat "$T/stderr")' lacks '$msg'"; fi
  expect_eq "$desc: layout unchanged" "$(snapshot "$T/out")" "$before"
}
amd=(--binary linux/amd64="$T/hello-amd64")
long=$(printf 'n%.0s' $(seq 256))
refused "a 256-byte name" "$T/a.conf:/etc/$long" "${amd[@]}" --file "$T/a.conf:/etc/$long"
refused "a 256-byte binary path name" "256 bytes" "${amd[@]}" --binary-path "/bin/$long"
deep=$(printf "/$(printf 'd%.0s' $(seq 200))%.0s" $(seq 21))
refused "a path over 4095 bytes" "bytes long; Linux unpacks at most 4095" "${amd[@]}" --file "$T/a.conf:$deep"
refused "two files at one destination (first)" "$T/a.conf:/etc/app.conf" "${amd[@]}" --file "$T/a.conf:/etc/app.conf" --file "$T/b.conf:/etc/app.conf"
refused "two files at one destination (second)" "$T/b.conf:/etc/app.conf" "${amd[@]}" --file "$T/a.conf:/etc/app.conf" --file "$T/b.conf:/etc/app.conf"
refused "a file inside two directories" "both put /srv/sub/y" "${amd[@]}" --file "$T/tree:/srv" --file "$T/tree:/srv"
refused "a file at the binary path" "where the binary goes (/usr/bin/hello)" "${amd[@]}" --binary-path /usr/bin/hello --file "$T/a.conf:/usr/bin/hello"
refused "a whiteout in a file tree" "$T/wh:/srv" "${amd[@]}" --file "$T/wh:/srv"
refused "a whiteout named directly" "whole directory" "${amd[@]}" --file "$T/a.conf:/srv/.wh..wh..opq"
refused "an arm64 Go binary as linux/amd64" "$T/hello-arm64" --binary linux/amd64="$T/hello-arm64"
refused "an amd64 Go binary as linux/arm64 names the platform" "not linux/arm64" --binary linux/arm64="$T/hello-amd64"
refused "a linux binary as windows/amd64" "windows cannot run" --base scratch --binary windows/amd64="$T/hello-amd64"
refused "a script as linux/amd64" "$T/script" --binary linux/amd64="$T/script"

# --binary-unchecked builds the script anyway.
check "--binary-unchecked accepts a script" "$OCIB" build -q --binary-unchecked --binary linux/amd64="$T/script" --sbom none --output "oci:$T/unchecked:v1"

# Every spelling of one platform gives one image.
spell() { "$OCIB" build -q --no-cache --sbom none --binary "$1=$2" --output "oci:$T/spell:x"; }
a1=$(spell linux/arm64 "$T/hello-arm64")
a2=$(spell linux/arm64/v8 "$T/hello-arm64")
a3=$(spell linux/aarch64 "$T/hello-arm64")
expect_eq "linux/arm64 and linux/arm64/v8 give one digest" "$a2" "$a1"
expect_eq "linux/aarch64 gives the same digest" "$a3" "$a1"
x1=$(spell linux/amd64 "$T/hello-amd64")
x2=$(spell linux/amd64/v1 "$T/hello-amd64")
x3=$(spell linux/x86_64 "$T/hello-amd64")
expect_eq "linux/amd64 and linux/amd64/v1 give one digest" "$x2" "$x1"
expect_eq "linux/x86_64 gives the same digest" "$x3" "$x1"
config_of() { blob "$T/spell" "$(jq -r .config.digest "$(blob "$T/spell" "$1")")"; }
expect_eq "arm64's config says variant v8" "$(jq -r .variant "$(config_of "$a2")")" v8
expect_eq "amd64's config has no variant" "$(jq -r '.variant // "none"' "$(config_of "$x2")")" none

# Directories merged onto the base keep the base's mode and owner: the
# static base, then the result as an oci: layout base. Unpacked by umoci
# (gzip: umoci 0.4.7 reads no zstd).
unpack() { rm -rf "$2"; umoci unpack --image "$1" "$2" >/dev/null; }
"$OCIB" build -q --compression gzip --sbom none "${amd[@]}" --file "$T/tree:/tmp" --file "$T/tree:/home/nonroot" \
  --binary-path /home/nonroot/bin/hello --output "oci:$T/dirs:v1" >/dev/null
unpack "$T/dirs:v1" "$T/u1"
R="$T/u1/rootfs"
expect_eq "static base: /tmp stays 1777" "$(stat -c %a "$R/tmp")" 1777
expect_eq "static base: /tmp stays root's" "$(stat -c %u:%g "$R/tmp")" 0:0
expect_eq "static base: /home/nonroot stays 0700" "$(stat -c %a "$R/home/nonroot")" 700
expect_eq "static base: /home/nonroot stays 65532's" "$(stat -c %u:%g "$R/home/nonroot")" 65532:65532
expect_eq "the files are there" "$(cat "$R/tmp/x" "$R/home/nonroot/sub/y")" "$(printf 'x\ny')"
expect_eq "a new directory gets ocib's 0755" "$(stat -c %a "$R/tmp/sub")" 755
check "the binary is there" test -x "$R/home/nonroot/bin/hello"
"$OCIB" build -q --compression gzip --sbom none --base "oci:$T/dirs:v1" "${amd[@]}" --binary-path /bin/second \
  --file "$T/tree:/tmp" --file "$T/tree:/home/nonroot/sub" --output "oci:$T/derived:v1" >/dev/null
unpack "$T/derived:v1" "$T/u2"
R="$T/u2/rootfs"
expect_eq "layout base: /tmp stays 1777" "$(stat -c %a "$R/tmp")" 1777
expect_eq "layout base: /home/nonroot stays 0700 65532:65532" "$(stat -c '%a %u:%g' "$R/home/nonroot")" "700 65532:65532"
# GNU tar, layer by layer, agrees.
mkdir -p "$T/gnu"
m=$(jq -r '.manifests[0].digest' "$T/derived/index.json")
for l in $(jq -r '.layers[].digest' "$(blob "$T/derived" "$m")"); do
  tar -xzf "$(blob "$T/derived" "$l")" -C "$T/gnu" --same-permissions --same-owner --numeric-owner
done
expect_eq "GNU tar: /tmp is 1777" "$(stat -c %a "$T/gnu/tmp")" 1777
expect_eq "GNU tar: /home/nonroot is 0700 65532:65532" "$(stat -c '%a %u:%g' "$T/gnu/home/nonroot")" "700 65532:65532"
finish
