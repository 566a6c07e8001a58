#!/usr/bin/env bash
# export and unpack checked against umoci's unpack of the same image, file
# for file (type, mode, owner, link target, content); hostile layers
# refused with nothing written outside the target directory.
source "$OCIB_SOURCE_DIR/test/e2e/lib.sh"
need jq python3 tar
need_or_skip umoci
MAKE="python3 $OCIB_SOURCE_DIR/test/e2e/make_layers.py"

# tree DIR: every path (type, mode, owner, link target) and each file's hash.
tree() {
  (cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %l\n' | sort &&
     find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
# same_as_umoci NAME LAYOUT:TAG: unpack and export+tar x match umoci's rootfs.
same_as_umoci() {
  local name=$1 src=$2
  umoci unpack --image "$src" "$T/$name-umoci" >/dev/null 2>"$T/$name-umoci.err" ||
    { cat "$T/$name-umoci.err"; fail "$name: umoci unpack"; return; }
  if "$OCIB" unpack -q "oci:$src" "$T/$name-unpack" >/dev/null; then
    check "$name: unpack matches umoci" diff <(tree "$T/$name-unpack") <(tree "$T/$name-umoci/rootfs")
  else
    fail "$name: ocib unpack"
  fi
  if "$OCIB" export -q "oci:$src" -o "$T/$name.tar"; then
    mkdir "$T/$name-export"
    tar -C "$T/$name-export" --same-owner -xpf "$T/$name.tar"
    check "$name: export matches umoci" diff <(tree "$T/$name-export") <(tree "$T/$name-umoci/rootfs")
  else
    fail "$name: ocib export"
  fi
}

# 1. An image ocib builds (one platform: umoci 0.4.7 reads no index).
go_build linux/amd64 "$T/hello"
mkdir -p "$T/static/sub" && echo data >"$T/static/sub/f" && ln -s sub/f "$T/static/link"
"$OCIB" build --binary linux/amd64="$T/hello" --file "$T/static:/srv" --compression gzip \
  --output "oci:$T/built:v1" -q >/dev/null 2>"$T/build.err" || { cat "$T/build.err"; die "build"; }
if [ "$(jq -r .manifests[0].mediaType "$T/built/index.json")" = application/vnd.oci.image.index.v1+json ]; then
  "$OCIB" pull -q --platform linux/amd64 "oci:$T/built:v1" "oci:$T/single:v1" >/dev/null 2>&1 ||
    "$OCIB" copy -q --platform linux/amd64 "oci:$T/built:v1" "oci:$T/single:v1" >/dev/null
  BUILT=$T/single:v1
else
  BUILT=$T/built:v1
fi
same_as_umoci built "$BUILT"
check "unpacked binary runs" "$T/built-unpack/app"

# 2. Crafted layers: whiteouts, opaque directory, a symlinked parent, hard
#    links, a directory replaced by a file, gzip and plain layers.
$MAKE "$T/overlay" t overlay
same_as_umoci overlay "$T/overlay:t"
expect_eq "whiteout hides etc/a" "$(test -e "$T/overlay-unpack/etc/a" && echo there || echo gone)" gone
expect_eq "write through the lib -> usr/lib symlink" "$(cat "$T/overlay-unpack/usr/lib/two")" 2

# 3. A multi-platform image needs --platform; the error names the platforms.
"$OCIB" build --binary linux/amd64="$T/hello" --binary linux/arm64="$T/hello" --binary-unchecked \
  --output "oci:$T/multi:v1" -q >/dev/null 2>&1 || die "multi build"
set +e
"$OCIB" unpack "oci:$T/multi:v1" "$T/multi-u" 2>"$T/multi.err"; rc=$?
set -e
expect_eq "multi-platform without --platform: exit 2" "$rc" 2
check "the error names the platforms" grep -q 'linux/amd64, linux/arm64' "$T/multi.err"
check "--platform picks one" "$OCIB" unpack -q --platform linux/arm64 "oci:$T/multi:v1" "$T/multi-u"
check "export to stdout is a tar" bash -c "'$OCIB' export -q --platform linux/amd64 'oci:$T/multi:v1' -o - | tar t | grep -qx app"

# 4. Unpacking into a non-empty directory is refused.
mkdir -p "$T/full" && touch "$T/full/keep"
set +e
"$OCIB" unpack -q "oci:$T/overlay:t" "$T/full" 2>/dev/null; rc=$?
set -e
expect_eq "non-empty directory: exit 2" "$rc" 2

# 5. Symlinks planted as parents (absolute and climbing with ..) resolve
#    inside DIR, as a runtime resolves them: the file lands below DIR.
mkdir -p "$T/out-sym"
OUTSIDE=$T/out-sym $MAKE "$T/h-sym" t symlink-parent
check "symlinked parents: unpack succeeds" "$OCIB" unpack -q "oci:$T/h-sym:t" "$T/u-sym/root"
check "symlinked parents: nothing outside" test -z "$(ls -A "$T/out-sym")"
check "absolute symlink parent resolves inside DIR" test -f "$T/u-sym/root$T/out-sym/escaped"
check "climbing symlink parent resolves inside DIR" test -f "$T/u-sym/root$T/out-sym/escaped2"
check "symlinked parents: export keeps the entries inside" \
  bash -c "'$OCIB' export -q 'oci:$T/h-sym:t' -o - | tar t | grep -qx '${T#/}/out-sym/escaped2'"

# 6. Hostile layers: refused, nothing outside DIR.
for c in dotdot absolute hardlink-outside; do
  mkdir -p "$T/out-$c"
  echo secret >"$T/out-$c/target"
  OUTSIDE=$T/out-$c $MAKE "$T/h-$c" t "$c"
  before=$(tree "$T/out-$c"; ls /escaped 2>/dev/null || true)
  set +e
  "$OCIB" unpack -q "oci:$T/h-$c:t" "$T/u-$c/root" 2>"$T/h-$c.err"; rc=$?
  "$OCIB" export -q "oci:$T/h-$c:t" -o "$T/h-$c.tar" 2>>"$T/h-$c.err"; rc2=$?
  set -e
  expect_eq "$c: unpack refused (exit 2)" "$rc" 2
  expect_eq "$c: export refused (exit 2)" "$rc2" 2
  expect_eq "$c: nothing written outside" "$(tree "$T/out-$c"; ls /escaped 2>/dev/null || true)" "$before"
  check "$c: nothing beside DIR" test ! -e "$T/u-$c/escaped"
  check "$c: no partial export" test ! -e "$T/h-$c.tar"
  check "$c: the error names the entry" grep -q 'entry' "$T/h-$c.err"
done
finish
