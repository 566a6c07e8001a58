#!/usr/bin/env bash
# Progress lines ("ocib: pushed sha256:... 1.2 KiB") go to stderr when
# stderr is a terminal, never to stdout; --quiet silences them; with stderr
# not a terminal (CI logs) there are none. The terminal is a pty from
# script(1) (bsdutils).
source "$(dirname "$0")/lib.sh"
need skopeo jq python3 script
reg_start http
IMG=$T/img
want=$(make_image "$IMG" v1)

# in_tty OUTFILE CMD...: runs CMD with stdin/stdout/stderr on a pty; what
# the terminal showed goes to OUTFILE (CR removed); returns CMD's status.
in_tty() {
  local out=$1; shift
  local cmd; printf -v cmd '%q ' "$@"
  script -q -e -c "$cmd" /dev/null < /dev/null > "$out.raw"
  local rc=$?
  tr -d '\r' < "$out.raw" > "$out"
  return $rc
}

# stderr on a terminal, stdout to a file.
in_tty "$T/push.tty" bash -c '"$0" push "oci:$1:v1" "$2" > "$3"' "$OCIB" "$IMG" "$REG/app:1" "$T/push.stdout" \
  || { cat "$T/push.tty"; die "push on a terminal failed"; }
check "terminal: stdout is exactly REF@digest" test "$(cat "$T/push.stdout")" = "$REG/app:1@$want"
nblobs=$(grep -c '^ocib: pushed sha256:' "$T/push.tty" || true)
check "terminal: one progress line per blob on stderr (5 blobs, got $nblobs)" test "$nblobs" = 5
check "terminal: manifests are reported" grep -q '^ocib: pushed manifest sha256:' "$T/push.tty"
check "terminal: progress names sizes" grep -Eq '^ocib: pushed sha256:[0-9a-f]{12} [0-9.]+ (B|KiB|MiB)' "$T/push.tty"

in_tty "$T/again.tty" "$OCIB" push "oci:$IMG:v1" "$REG/app:1" || die "second push failed"
check "terminal: a second push says up to date" grep -q "^ocib: up to date: $REG/app:1@$want" "$T/again.tty"

in_tty "$T/pull.tty" "$OCIB" pull "$REG/app:1" "oci:$T/pulled:p" || die "pull on a terminal failed"
check "terminal: pull reports each blob" test "$(grep -c '^ocib: pulled sha256:' "$T/pull.tty" || true)" -ge 5
# Blobs finish on several threads at once: lines must not interleave.
check "terminal: every line is whole (one 'ocib: ' prefix, or the result)" \
  bash -c "! cat '$T/push.tty' '$T/pull.tty' | grep -Ev '^ocib: (pushed|pulled|exists) [^:]*:[0-9a-f]{12}( [0-9.]+ (B|KiB|MiB))?\$|^$REG/app:1@$want\$' | grep -q ."

# build --tag on a terminal reports its pushes the same way; -q silences them.
in_tty "$T/build.tty" "$OCIB" build --binary linux/amd64=/bin/true --sbom none --tag "$REG/built:1" \
  || { cat "$T/build.tty"; die "build --tag on a terminal failed"; }
check "build --tag: one progress line per blob (3 blobs: base, binary layer, config)" \
  test "$(grep -c '^ocib: pushed sha256:' "$T/build.tty" || true)" = 3
check "build --tag: the push is summed up" grep -q "^ocib: pushed $REG/built@sha256:.* (3 blobs uploaded" "$T/build.tty"
check "build --tag: the result line names the pushed reference" grep -q "^$REG/built:1@sha256:" "$T/build.tty"
in_tty "$T/buildq.tty" "$OCIB" build -q --binary linux/amd64=/bin/true --sbom none --tag "$REG/built:2" \
  || die "quiet build --tag failed"
check "build -q --tag: no progress lines" bash -c "! grep -q '^ocib: ' '$T/buildq.tty'"

# --quiet on a terminal: the result line only.
in_tty "$T/quiet.tty" "$OCIB" push -q "oci:$IMG:v1" "$REG/app:2" || die "quiet push failed"
check "--quiet: the terminal shows only REF@digest" test "$(cat "$T/quiet.tty")" = "$REG/app:2@$want"
in_tty "$T/quietpull.tty" "$OCIB" pull --quiet "$REG/app:2" "oci:$T/pulled2:p" || die "quiet pull failed"
check "--quiet: pull shows only REF@digest" test "$(cat "$T/quietpull.tty")" = "$REG/app:2@$want"

# Not a terminal (a CI log): no progress at all.
out=$("$OCIB" push "oci:$IMG:v1" "$REG/app:3" 2> "$T/ci.err") || { cat "$T/ci.err"; die "push failed"; }
check "no terminal: stdout is REF@digest" test "$out" = "$REG/app:3@$want"
check "no terminal: stderr is empty" test ! -s "$T/ci.err"
"$OCIB" pull "$REG/app:3" "oci:$T/pulled3:p" > /dev/null 2> "$T/cipull.err" || { cat "$T/cipull.err"; die "pull failed"; }
check "no terminal: pull writes nothing to stderr" test ! -s "$T/cipull.err"
finish
