#!/usr/bin/env bash
# Archives as sources: a gzipped `docker save` tarball (written by skopeo,
# then gzip) is readable like the plain one, and oci-archive: and
# docker-archive: work as `build --base`, read in place.
source "$OCIB_SOURCE_DIR/test/e2e/lib.sh"
need jq gzip
need_or_skip skopeo
export TMPDIR=$T/tmp && mkdir -p "$TMPDIR"

go_build linux/amd64 "$T/hello"
"$OCIB" build -q --binary linux/amd64="$T/hello" --compression gzip --output "oci:$T/img:v1" \
  >/dev/null 2>"$T/err" || { cat "$T/err"; die "build"; }
"$OCIB" copy -q "oci:$T/img:v1" "oci-archive:$T/img.tar:v1" >/dev/null
"$OCIB" unpack -q --platform linux/amd64 "oci:$T/img:v1" "$T/want" >/dev/null

# skopeo writes the docker save format; then it is gzipped.
skopeo --tmpdir "$TMPDIR" copy -q "oci-archive:$T/img.tar:v1" "docker-archive:$T/save.tar:app:v1" \
  2>"$T/skopeo.err" || { cat "$T/skopeo.err"; die "skopeo copy"; }
gzip -c "$T/save.tar" >"$T/save.tar.gz"
check "gzipped docker save: inspect" "$OCIB" inspect "docker-archive:$T/save.tar.gz"
check "gzipped docker save: copy to a layout" "$OCIB" copy -q "docker-archive:$T/save.tar.gz" "oci:$T/from-gz:v1"
check "the copy validates" "$OCIB" validate "oci:$T/from-gz:v1"
expect_eq "same config as the plain tarball" \
  "$("$OCIB" digest "docker-archive:$T/save.tar.gz" 2>/dev/null)" "$("$OCIB" digest "docker-archive:$T/save.tar" 2>/dev/null)"
check "gzipped docker save: unpack" "$OCIB" unpack -q "docker-archive:$T/save.tar.gz" "$T/got"
check "unpacked the same filesystem" diff <(snapshot "$T/want") <(snapshot "$T/got")
check "no temporary file left in TMPDIR" test -z "$(ls -A "$TMPDIR")"
printf '\037\213garbage' >"$T/bad.tar.gz"
set +e
"$OCIB" inspect "docker-archive:$T/bad.tar.gz" 2>"$T/bad.err"; rc=$?
set -e
check "a corrupt gzip archive is an error" test "$rc" -ne 0
check "the error names the file" grep -q bad.tar.gz "$T/bad.err"

# build --base ARCHIVE: the base's layers come first, unchanged.
base_layers() { jq -r '.layers[].digest' "$(blob "$1" "$2")"; }
for base in "oci-archive:$T/img.tar:v1" "docker-archive:$T/save.tar.gz" "docker-archive:$T/save.tar:app:v1"; do
  rm -rf "$T/out"
  if "$OCIB" build -q --base "$base" --binary linux/amd64="$T/hello" --binary-path /second \
      --output "oci:$T/out:v1" >"$T/out.digest" 2>"$T/out.err"; then
    pass "build --base $base"
  else
    cat "$T/out.err"; fail "build --base $base"; continue
  fi
  check "build --base $base: validates" "$OCIB" validate "oci:$T/out:v1"
  rm -rf "$T/u"
  "$OCIB" unpack -q "oci:$T/out:v1" "$T/u" >/dev/null
  check "build --base $base: the base's files and the new binary" \
    test -x "$T/u/second" -a -x "$T/u/app" -a -f "$T/u/etc/passwd"
done

# Day-2 operations on archives: read in place, written whole (checked by
# skopeo, which reads both kinds). The source archive is not changed.
src_sum=$(sha256sum <"$T/img.tar")
check "mutate oci-archive -> oci-archive" \
  "$OCIB" mutate -q --env MODE=archive "oci-archive:$T/img.tar:v1" "oci-archive:$T/mut.tar:v2"
skopeo --tmpdir "$TMPDIR" inspect --config "oci-archive:$T/mut.tar:v2" >"$T/mut.cfg" 2>"$T/skopeo.err" \
  || { cat "$T/skopeo.err"; die "skopeo inspect oci-archive"; }
check "skopeo reads the mutated archive's env" grep -q "MODE=archive" "$T/mut.cfg"
expect_eq "the source archive is unchanged" "$(sha256sum <"$T/img.tar")" "$src_sum"
check "the mutated archive validates" "$OCIB" validate "oci-archive:$T/mut.tar:v2"
mkdir -p "$T/extra/etc" && echo archived >"$T/extra/etc/extra.txt"
check "append docker-archive -> docker-archive" \
  "$OCIB" append -q --layer "$T/extra" "docker-archive:$T/save.tar:app:v1" "docker-archive:$T/app.tar:app:v2"
skopeo --tmpdir "$TMPDIR" inspect "docker-archive:$T/app.tar" >"$T/app.json" 2>"$T/skopeo.err" \
  || { cat "$T/skopeo.err"; die "skopeo inspect docker-archive"; }
expect_eq "skopeo sees one more layer" "$(jq '.Layers | length' "$T/app.json")" \
  "$(( $(skopeo --tmpdir "$TMPDIR" inspect "docker-archive:$T/save.tar" | jq '.Layers | length') + 1 ))"
check "the docker archive is tagged app:v2" grep -q '"RepoTags": *\[ *"docker.io/library/app:v2"' \
  <(skopeo --tmpdir "$TMPDIR" inspect --raw "docker-archive:$T/app.tar" 2>/dev/null; tar -xOf "$T/app.tar" manifest.json)
rm -rf "$T/u2"
"$OCIB" unpack -q "docker-archive:$T/app.tar" "$T/u2" >/dev/null
check "the appended file is in the image" grep -qx archived "$T/u2/etc/extra.txt"
check "no temporary file beside the archives" test -z "$(ls -A "$T" | grep ocib-tmp || true)"
finish
