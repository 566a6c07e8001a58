#!/usr/bin/env bash
# The CLI against a TLS registry (a CA made here): inspect, sbom and
# referrers take --ca-file (and fail without it, naming the flag), inspect
# prints the same documents for the registry as for the layout pushed there,
# and pull --platform labels the digest it prints as local.
source "$(dirname "$0")/lib.sh"
need jq go curl openssl

hello_binaries amd64 arm64
export SOURCE_DATE_EPOCH=1700000000
reg_start https
R=$REG/cli/app
"$OCIB" build -q --binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64" \
  --output "oci:$T/lay:v1" > /dev/null || die "build failed"
"$OCIB" push -q --ca-file "$CA" "oci:$T/lay:v1" "$R:v1" > /dev/null || die "push failed"

rc=0; "$OCIB" inspect "$R:v1" > /dev/null 2> "$T/notls.err" || rc=$?
check "inspect without --ca-file fails (rc $rc)" test "$rc" -ne 0
check "... and its message names --ca-file" grep -q -- "--ca-file" "$T/notls.err"

"$OCIB" inspect --ca-file "$CA" "$R:v1" > "$T/remote.out" || die "inspect REF failed"
"$OCIB" inspect "oci:$T/lay:v1" > "$T/local.out" || die "inspect oci: failed"
check "inspect: the registry and the layout give the same 5 documents" \
  bash -c "cmp -s '$T/remote.out' '$T/local.out' && [ \$(wc -l < '$T/local.out') = 5 ]"
"$OCIB" inspect --ca-file "$CA" --format json "$R:v1" > "$T/remote.json"
"$OCIB" inspect --format json "oci:$T/lay:v1" > "$T/local.json"
check "inspect --format json: the same for both" cmp -s "$T/remote.json" "$T/local.json"
check "inspect --format config.Entrypoint from the registry" \
  test "$("$OCIB" inspect --ca-file "$CA" --platform linux/arm64 --format config.Entrypoint "$R:v1")" = '["/app"]'
"$OCIB" inspect -v --ca-file "$CA" "$R:v1" > /dev/null 2> "$T/verbose.err"
check "inspect -v logs its requests" grep -q "GET" "$T/verbose.err"

check "sbom takes --ca-file" bash -c "'$OCIB' sbom --ca-file '$CA' --platform linux/amd64 '$R:v1' | jq -e .spdxVersion > /dev/null"
check "referrers takes --ca-file" bash -c "[ \$('$OCIB' referrers --ca-file '$CA' --timeout 30 --retries 1 '$R:v1' | wc -l) -ge 2 ]"

# pull of every platform: REF@digest, the registry's digest.
full=$("$OCIB" pull -q --ca-file "$CA" "$R:v1" "oci:$T/all:v1")
check "pull prints REF@digest of the registry's image ($full)" test "$full" = "$R:v1@$(layout_digest "$T/lay" v1)"
# pull --platform writes a new index: its digest is labelled as local.
one=$("$OCIB" pull --ca-file "$CA" --platform linux/arm64 "$R:v1" "oci:$T/one:v1" 2> "$T/one.err")
check "pull --platform prints 'local oci:DIR:TAG@digest' ($one)" \
  test "$one" = "local oci:$T/one:v1@$(layout_digest "$T/one" v1)"
check "... a digest the registry's tag does not have" test "${one##*@}" != "${full##*@}"
check "... and says so on stderr" grep -q "no such digest" "$T/one.err"
finish
