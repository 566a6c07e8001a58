#!/usr/bin/env bash
# The CLI as one consistent tool: every command that talks to a registry
# lists the same registry flags; an unknown command or flag gets "did you
# mean" and the usage exit code; inspect's --format and --platform.
source "$(dirname "$0")/lib.sh"
need jq

# run_ocib ARGS...: rc, $T/out, $T/err.
run_ocib() { rc=0; "$OCIB" "$@" > "$T/out" 2> "$T/err" || rc=$?; }

# --- one set of registry flags -------------------------------------------
registry_commands=(build inspect sbom referrers push pull copy digest login ls tag delete mutate)
registry_flags=(--insecure-registry --ca-file --jobs --timeout --request-timeout --retries
                --verbose -v --quiet -q)
for cmd in "${registry_commands[@]}"; do
  "$OCIB" "$cmd" --help > "$T/help" 2>&1 || true
  missing=""
  for flag in "${registry_flags[@]}"; do
    grep -Eq -- "(^|[ ,])$flag([ ,=]|\$)" "$T/help" || missing="$missing $flag"
  done
  expect_eq "ocib $cmd --help lists every registry flag" "${missing:-none}" none
  # The help text of each flag is the one definition's (same words everywhere).
  grep -- '--request-timeout' "$T/help" | sed 's/  */ /g' > "$T/rt.$cmd"
done
for cmd in "${registry_commands[@]}"; do
  check "ocib $cmd: --request-timeout help is the shared one" cmp -s "$T/rt.build" "$T/rt.$cmd"
done

# The flags parse on a command that lacked them: a bad value is refused by
# the shared range check (exit 2), a good one reaches the command.
run_ocib inspect --jobs 0 oci:/nonexistent
expect_eq "inspect --jobs 0 is a usage error" "$rc" 2
run_ocib referrers --timeout 5 --request-timeout 9 --retries 0 -v --ca-file /dev/null \
  --insecure-registry 127.0.0.1:1 "oci:$T/none"
expect_eq "referrers takes the registry flags (then fails on the missing layout: 4)" "$rc" 4

# --- did you mean -----------------------------------------------------------
run_ocib biuld --output oci:x
expect_eq "unknown command: exit 2" "$rc" 2
check "unknown command: did you mean build" \
  grep -q "unknown command 'biuld'; did you mean 'build'?" "$T/err"
run_ocib inspect --platfrom linux/amd64 oci:x
expect_eq "typo'd flag: exit 2" "$rc" 2
check "typo'd flag: did you mean --platform" \
  grep -q "unknown flag '--platfrom' for 'ocib inspect'; did you mean '--platform'?" "$T/err"
run_ocib push --insecure-registy h oci:a b/c:1
check "typo'd registry flag: did you mean --insecure-registry" \
  grep -q "did you mean '--insecure-registry'?" "$T/err"
run_ocib cache prunee
expect_eq "unknown nested command: exit 2" "$rc" 2
check "unknown nested command: did you mean prune" \
  grep -q "unknown command 'prunee' of 'ocib cache'; did you mean 'prune'?" "$T/err"
run_ocib frobnicate
check "a word near no command gets no suggestion" \
  bash -c "grep -q \"unknown command 'frobnicate'\" '$T/err' && ! grep -q 'did you mean' '$T/err'"
run_ocib
expect_eq "no command: exit 2" "$rc" 2
check "no command: the commands are listed" grep -q "needs a command: build, " "$T/err"

# --- inspect ----------------------------------------------------------------
go_build linux/amd64 "$T/hello-amd64"
go_build linux/arm64 "$T/hello-arm64"
export SOURCE_DATE_EPOCH=1700000000
"$OCIB" build -q --binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64" \
  --entrypoint /app --entrypoint serve --output "oci:$T/lay:v1" > /dev/null
root=$(tagged "$T/lay" v1)
run_ocib inspect "oci:$T/lay:v1"
expect_eq "inspect: index, two manifests, two configs" "$(wc -l < "$T/out")" 5
m_amd=$(manifest_for "$T/lay" "$root" amd64)
expect_eq "inspect: line 2 is the amd64 manifest, byte for byte" \
  "sha256:$(sed -n 2p "$T/out" | tr -d '\n' | sha256sum | cut -d' ' -f1)" "$m_amd"
expect_eq "inspect: line 4 is the amd64 config" \
  "$(sed -n 4p "$T/out" | jq -r .architecture)" amd64

run_ocib inspect --format config.Entrypoint "oci:$T/lay:v1"
expect_eq "--format config.Entrypoint: one line per platform" "$(cat "$T/out")" \
  "$(printf '["/app","serve"]\n["/app","serve"]')"
run_ocib inspect --format config.Entrypoint.1 --platform linux/arm64 "oci:$T/lay:v1"
expect_eq "--format with an array index and --platform" "$(cat "$T/out")" serve
run_ocib inspect --format manifest.layers --platform linux/amd64 "oci:$T/lay:v1"
expect_eq "--format manifest.layers is the manifest's layers" "$(jq -c . "$T/out")" \
  "$(jq -c .layers "$(blob "$T/lay" "$m_amd")")"
run_ocib inspect --format index.manifests "oci:$T/lay:v1"
expect_eq "--format index.manifests" "$(jq -c . "$T/out")" \
  "$(jq -c .manifests "$(blob "$T/lay" "$root")")"
run_ocib inspect --format platform "oci:$T/lay:v1"
expect_eq "--format platform" "$(tr '\n' ' ' < "$T/out")" "linux/amd64 linux/arm64/v8 "
run_ocib inspect --format config.NoSuchField --platform linux/amd64 "oci:$T/lay:v1"
expect_eq "--format of a missing field prints null" "$rc:$(cat "$T/out")" "0:null"
run_ocib inspect --format json "oci:$T/lay:v1"
check "--format json: one document with the index and both images" \
  jq -e '(.index.manifests|length)==2 and (.images|length)==2 and .images[1].platform=="linux/arm64/v8" and .images[0].config.config.Entrypoint==["/app","serve"] and .images[0].manifest.layers[0].digest' "$T/out"
run_ocib inspect --format bogus "oci:$T/lay:v1"
expect_eq "--format with an unknown root: exit 2" "$rc" 2
run_ocib inspect --platform linux/s390x "oci:$T/lay:v1"
expect_eq "inspect --platform of a platform the image lacks: exit 4" "$rc" 4
check "... naming the platforms there" grep -q "linux/amd64, linux/arm64/v8" "$T/err"

finish
