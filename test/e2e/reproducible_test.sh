#!/usr/bin/env bash
# Two builds of the same inputs, with different file mtimes, umasks, creation
# orders, directories and wall-clock times, give byte-identical digests; and
# SOURCE_DATE_EPOCH sets every timestamp.
source "$(dirname "$0")/lib.sh"
need go jq zstd tar sha256sum

go_build linux/amd64 "$T/hello-amd64"
go_build linux/arm64 "$T/hello-arm64"

# make_inputs DIR UMASK ORDER MTIME
make_inputs() {
  local d=$1 m=$2 order=$3 mtime=$4
  (
    umask "$m"
    mkdir -p "$d/files/sub" "$d/bin"
    if [ "$order" = forward ]; then
      echo one > "$d/files/a.txt"; echo two > "$d/files/sub/b.txt"; printf '#!/bin/sh\necho x\n' > "$d/files/run.sh"
    else
      printf '#!/bin/sh\necho x\n' > "$d/files/run.sh"; echo two > "$d/files/sub/b.txt"; echo one > "$d/files/a.txt"
    fi
    chmod +x "$d/files/run.sh"
    ln -s a.txt "$d/files/link"
    cp "$T/hello-amd64" "$T/hello-arm64" "$d/bin/"
  )
  find "$d" -exec touch -h -d "@$mtime" {} +
}
make_inputs "$T/one" 022 forward 1000000000
next_second  # the two builds run at different times
make_inputs "$T/elsewhere/two" 077 reverse 1600000000

build() { # DIR OUT [extra flags]
  local d=$1 out=$2; shift 2
  (cd "$d" && "$OCIB" build -q --no-cache --binary linux/amd64=bin/hello-amd64 --binary linux/arm64="$d/bin/hello-arm64" \
     --file files:/opt/files --output "$out" "$@")
}
d1=$(build "$T/one" "oci:$T/l1:x")
next_second  # the two builds run at different times
d2=$(build "$T/elsewhere/two" "oci:$T/l2:x")
expect_eq "same inputs from different trees give the same digest" "$d1" "$d2"
check "the layouts are byte-identical" diff -r "$T/l1" "$T/l2"

unset SOURCE_DATE_EPOCH
cfg=$(jq -r '.manifests[0].digest' "$(blob "$T/l1" "$d1")")
cfg=$(jq -r .config.digest "$(blob "$T/l1" "$cfg")")
expect_eq "without SOURCE_DATE_EPOCH, created is the epoch" "$(jq -r .created "$(blob "$T/l1" "$cfg")")" "1970-01-01T00:00:00Z"

d3=$(SOURCE_DATE_EPOCH=1700000000 build "$T/one" "oci:$T/l3:x")
d4=$(SOURCE_DATE_EPOCH=1700000000 build "$T/elsewhere/two" "oci:$T/l4:x")
expect_eq "same digest with SOURCE_DATE_EPOCH" "$d3" "$d4"
check "SOURCE_DATE_EPOCH changes the digest" test "$d3" != "$d1"
m=$(jq -r '.manifests[0].digest' "$(blob "$T/l3" "$d3")")
c=$(blob "$T/l3" "$(jq -r .config.digest "$(blob "$T/l3" "$m")")")
expect_eq "config created equals SOURCE_DATE_EPOCH" "$(jq -r .created "$c")" "2023-11-14T22:13:20Z"
expect_eq "every history entry has that time" "$(jq -r '[.history[].created]|unique|join(",")' "$c")" "2023-11-14T22:13:20Z"
# tar mtimes: every entry of every layer
for l in $(jq -r '.layers[].digest' "$(blob "$T/l3" "$m")"); do
  bad=$(zstd -dc "$(blob "$T/l3" "$l")" | tar --utc --full-time -tvf - | awk '$4" "$5 != "2023-11-14 22:13:20"' | head -3)
  expect_eq "layer ${l:7:12} has every mtime at SOURCE_DATE_EPOCH" "$bad" ""
done
# Modes: only the exec bit survives from the host, and owners are 0:0.
shared=$(jq -r '.layers[1].digest' "$(blob "$T/l3" "$m")")
listing=$(zstd -dc "$(blob "$T/l3" "$shared")" | tar --numeric-owner -tvf -)
check "files are 0644 whatever the umask" grep -q '^-rw-r--r-- 0/0 .* opt/files/a.txt$' <<<"$listing"
check "executables are 0755" grep -q '^-rwxr-xr-x 0/0 .* opt/files/run.sh$' <<<"$listing"
check "symlinks are kept" grep -q '^lrwxrwxrwx 0/0 .* opt/files/link -> a.txt$' <<<"$listing"
check "implied parents (opt/) are not written" bash -c "! grep -q ' opt/$' <<<\"\$1\"" _ "$listing"

# Archives are reproducible too.
build "$T/one" "oci-archive:$T/a1.tar:x" >/dev/null
build "$T/elsewhere/two" "oci-archive:$T/a2.tar:x" >/dev/null
expect_eq "two oci-archives are byte-identical" "$(sha256sum < "$T/a1.tar")" "$(sha256sum < "$T/a2.tar")"
mkdir "$T/unpacked" && tar -C "$T/unpacked" -xf "$T/a1.tar"
expect_eq "the archive holds the same layout" "$(tagged "$T/unpacked" x)" "$d1"

# The bytes ocib writes do not change between versions unless meant to: a
# build that depends on nothing outside ocib (scratch base, fixed "binaries"
# and files, no compression, no SBOM) has a known digest. Change it only
# with a change that means to change the output, and say so (recorded at
# the end of issue 10, whose refactors kept every output byte-identical).
mkdir -p "$T/gold/files/sub"
printf 'level=3\n' > "$T/gold/files/app.conf"
printf 'x\n' > "$T/gold/files/sub/b"
printf '\177ELF not really a program, fixed bytes\n' > "$T/gold/bin-amd64"
printf '\177ELF another fixed program\n' > "$T/gold/bin-arm64"
chmod 0644 "$T/gold/files/app.conf" "$T/gold/files/sub/b"
chmod 0755 "$T/gold/files" "$T/gold/files/sub"
gold=$(cd "$T/gold" && SOURCE_DATE_EPOCH=1700000000 "$OCIB" build --base scratch --binary-unchecked \
  --binary linux/amd64=bin-amd64 --binary linux/arm64=bin-arm64 --file files:/etc/app \
  --env A=1 --label l=v --annotation a=b --expose 8080/tcp --user 1000:1000 --workdir /w \
  --cmd serve --compression none --sbom none --no-cache --output "oci:$T/gold/out:v1" 2>/dev/null)
expect_eq "a build of fixed inputs keeps its recorded digest" "$gold" \
  sha256:dbbc2d24b89eca0e18634fd9289b9103d1436ebbe3bd15344a4f39179fdc2d52

# A malformed SOURCE_DATE_EPOCH is an error.
set +e; SOURCE_DATE_EPOCH=1.5 build "$T/one" "oci:$T/l5:x" 2>"$T/err"; rc=$?; set -e
expect_eq "malformed SOURCE_DATE_EPOCH exits 2" "$rc" 2
check "and says why" grep -q 'SOURCE_DATE_EPOCH' "$T/err"
finish
