#!/usr/bin/env bash
# An unreadable binary and an unwritable output: ocib fails with a message
# naming the file, a documented non-zero exit, and the layout unchanged.
# Root reads and writes anything, so ocib runs as the unprivileged user
# nobody; when that is impossible (not root, no setpriv, the binary not
# reachable by nobody) the test reports itself skipped (exit 77).
source "$(dirname "$0")/lib.sh"
need go jq

skip() { echo "SKIP: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root: cannot run ocib as nobody"
command -v setpriv >/dev/null || skip "setpriv missing (util-linux)"
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${as_nobody[@]}" test -x "$OCIB" || skip "$OCIB is not executable by nobody"

go_build linux/amd64 "$T/hello"
"$OCIB" build -q --binary linux/amd64="$T/hello" --output "oci:$T/out:v1" >/dev/null
chmod 0755 "$T"; chmod -R a+rX "$T/out" "$T/hello"
cp "$T/hello" "$T/secret"; chmod 0600 "$T/secret"
before=$(snapshot "$T/out")

set +e
"${as_nobody[@]}" "$OCIB" build --binary linux/amd64="$T/secret" --output "oci:$T/out:v2" >"$T/stdout" 2>"$T/stderr"; rc=$?
set -e
check "unreadable binary: non-zero exit ($rc)" test "$rc" -ne 0
check "unreadable binary: message names the file" grep -qF "$T/secret" "$T/stderr"
expect_eq "unreadable binary: layout unchanged" "$(snapshot "$T/out")" "$before"

set +e
"${as_nobody[@]}" "$OCIB" build --binary linux/amd64="$T/hello" --output "oci:$T/out:v2" >"$T/stdout" 2>"$T/stderr"; rc=$?
set -e
expect_eq "unwritable output: exit 1" "$rc" 1
check "unwritable output: message says not writable" grep -q "not writable" "$T/stderr"
expect_eq "unwritable output: layout unchanged" "$(snapshot "$T/out")" "$before"
finish
