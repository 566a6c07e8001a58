#!/usr/bin/env bash
# Bad input gets a clear message and a documented non-zero exit, and leaves
# an existing layout byte-for-byte unchanged.
source "$(dirname "$0")/lib.sh"
need go jq

go_build linux/amd64 "$T/hello"
mkdir -p "$T/adir"
echo conf > "$T/conf"
"$OCIB" build -q --binary linux/amd64="$T/hello" --output "oci:$T/out:v1" >/dev/null
before=$(snapshot "$T/out")

# expect_failure DESC CODE MESSAGE ARGS...: runs ocib build ARGS into the layout.
expect_failure() {
  local desc=$1 code=$2 msg=$3; shift 3
  set +e
  "$OCIB" "$@" >"$T/stdout" 2>"$T/stderr"
  local rc=$?
  set -e
  expect_eq "$desc: exit code" "$rc" "$code"
  if grep -qF -- "$msg" "$T/stderr"; then pass "$desc: message says '$msg'"; else fail "$desc: message '$(cat "$T/stderr")' lacks '$msg'"; fi
  expect_eq "$desc: nothing on stdout" "$(cat "$T/stdout")" ""
  expect_eq "$desc: layout unchanged" "$(snapshot "$T/out")" "$before"
}
out=(--output "oci:$T/out:v2")
expect_failure "missing binary" 4 "$T/missing" build --binary linux/amd64="$T/missing" "${out[@]}"
expect_failure "directory as binary" 2 "is a directory" build --binary linux/amd64="$T/adir" "${out[@]}"
expect_failure "platform with no binary" 2 "linux/arm64 has no binary" build --platform linux/amd64,linux/arm64 --binary linux/amd64="$T/hello" "${out[@]}"
expect_failure "unknown platform" 2 'unknown architecture "amd46"' build --binary linux/amd46="$T/hello" "${out[@]}"
expect_failure "unknown platform in --platform" 2 'unknown operating system "lunix"' build --platform lunix/amd64 --binary linux/amd64="$T/hello" "${out[@]}"
expect_failure "--file escaping with ../x" 2 "escapes the image root" build --binary linux/amd64="$T/hello" --file "$T/conf:../x" "${out[@]}"
# Text that is not UTF-8 cannot go into JSON: refused by name, not an internal error.
expect_failure "--env not UTF-8" 2 "an environment entry is not valid UTF-8" build --binary linux/amd64="$T/hello" --env "$(printf 'A=\xff')" "${out[@]}"
expect_failure "--label not UTF-8" 2 "a label is not valid UTF-8" build --binary linux/amd64="$T/hello" --label "$(printf 'k=\xc0\xaf')" "${out[@]}"
expect_failure "--cmd not UTF-8" 2 "an argument is not valid UTF-8" build --binary linux/amd64="$T/hello" --cmd "$(printf '\xed\xa0\x80')" "${out[@]}"
expect_failure "mutate --env not UTF-8" 2 "an environment entry is not valid UTF-8" mutate "oci:$T/out:v1" "oci:$T/out:v2" --env "$(printf 'A=\xff')"
expect_failure "mutate --annotation not UTF-8" 2 "an annotation is not valid UTF-8" mutate "oci:$T/out:v1" "oci:$T/out:v2" --annotation "$(printf 'k=\xfe')"
expect_failure "--file escaping with /../x" 2 "escapes the image root" build --binary linux/amd64="$T/hello" --file "$T/conf:/../x" "${out[@]}"
expect_failure "--file with a missing source" 4 "$T/nofile" build --binary linux/amd64="$T/hello" --file "$T/nofile:/x" "${out[@]}"
expect_failure "no binary at all" 2 "no platforms" build "${out[@]}"
expect_failure "unknown flag" 2 "--frobnicate" build --frobnicate --binary linux/amd64="$T/hello" "${out[@]}"
expect_failure "bad compression" 2 'unknown compression "lz4"' build --compression lz4 --binary linux/amd64="$T/hello" "${out[@]}"
expect_failure "bad tag" 2 'invalid tag' build --binary linux/amd64="$T/hello" --output "oci:$T/out:-bad"
expect_failure "output under a regular file" 2 "is not a directory" build --binary linux/amd64="$T/hello" --output "oci:$T/conf/layout:v1"
expect_failure "base that does not exist" 4 "oci-layout" build --base "oci:$T/nobase" --binary linux/amd64="$T/hello" "${out[@]}"
expect_failure "base without the platform" 4 "no image for platform linux/arm64" build --base "oci:$T/out:v1" --binary-unchecked --binary linux/arm64="$T/hello" "${out[@]}"

# Unreadable binary and unwritable output need an unprivileged user: see
# bad_input_unprivileged_test.sh (a separate test that reports itself skipped
# when it cannot run).

# A corrupt index.json is reported and kept as it is.
echo '{"schemaVersion":2,"manifests":[' > "$T/out/index.json"
before=$(snapshot "$T/out")
expect_failure "corrupt index.json" 2 "index.json" build --binary linux/amd64="$T/hello" "${out[@]}"
finish
