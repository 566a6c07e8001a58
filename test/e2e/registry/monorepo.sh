#!/usr/bin/env bash
# `ocib build -f` of several images, each to its own repository of one
# registry: the same digests at --jobs 1 and at the default, stdout in
# build-file order, stderr prefixed per image, every blob uploaded once per
# run (mounted into the other repositories), a warm re-run that sends no
# write (one request per image with this machine's push record, two
# without), and a failing image that stops the run and is named.
source "$(dirname "$0")/lib.sh"
need jq go python3
reg_start http
hello_binaries amd64 arm64
N=6
# make_file NAME PREFIX [BROKEN_INDEX]: N images tagged $REG/PREFIX-I:v1.
make_file() {
  local name=$1 prefix=$2 broken=${3:-} i arch bin
  {
    echo '{"images": ['
    for i in $(seq 0 $((N - 1))); do
      for arch in amd64 arm64; do
        bin=$T/bins/svc-$i-$arch
        [ -f "$bin" ] || { mkdir -p "$T/bins"; cp "$T/hello-$arch" "$bin"; printf 'image-%s' "$i" >> "$bin"; }
      done
      [ "$i" = 0 ] || echo ','
      if [ "$i" = "$broken" ]; then bin=$T/bins/missing; else bin=$T/bins/svc-$i-amd64; fi
      printf '{"name": "svc-%s", "binaries": {"linux/amd64": "%s", "linux/arm64": "%s"}, "tags": ["%s/%s-%s:v1"]}\n' \
        "$i" "$bin" "$T/bins/svc-$i-arm64" "$REG" "$prefix" "$i"
    done
    echo ']}'
  } > "$T/$name.json"
}
make_file seq seq
make_file par par

"$OCIB" build -f "$T/seq.json" --jobs 1 > "$T/seq.out" 2> "$T/seq.err" || { cat "$T/seq.err"; die "build -f --jobs 1 failed"; }
before=$(reg_log_sync)
"$OCIB" build -f "$T/par.json" > "$T/par.out" 2> "$T/par.err" || { cat "$T/par.err"; die "build -f failed"; }
log=$(reg_log_since "$before")

check "stdout has one line per image" test "$(grep -c . "$T/par.out")" = "$N"
check "stdout is in build-file order" \
  test "$(sed 's|@.*||' "$T/par.out" | tr '\n' ' ')" = "$(for i in $(seq 0 $((N - 1))); do printf '%s/par-%s:v1 ' "$REG" "$i"; done)"
check "the digests are those of the --jobs 1 run" \
  test "$(sed 's|.*@||' "$T/par.out")" = "$(sed 's|.*@||' "$T/seq.out")"
check "the images differ from each other" test "$(sed 's|.*@||' "$T/par.out" | sort -u | grep -c .)" = "$N"
check "every stderr line is prefixed by its image" \
  bash -c "grep -v '^building $N image(s) of ' '$T/par.err' | grep -v '^\[svc-[0-9]\] ' | { ! grep -q .; }"
check "each image reports its push on stderr" test "$(grep -c '^\[svc-[0-9]\] ocib: pushed ' "$T/par.err")" = "$N"

# Every blob upload (PUT ...?digest=) of the run names a distinct digest,
# and the base layer shared by all images was mounted into the others.
puts=$(grep -o '"PUT /v2/par-[0-9]*/blobs/uploads/[^ ]*digest=sha256%3A[0-9a-f]*' <<<"$log" | sed 's|.*digest=||' || true)
check "blobs were uploaded" test -n "$puts"
check "no blob was uploaded twice ($(grep -c . <<<"$puts") uploads)" test "$(sort <<<"$puts" | uniq -d | grep -c .)" = 0
check "shared blobs were mounted ($(grep -c 'mount=.* 201 ' <<<"$log") mounts)" \
  test "$(grep -c '"POST /v2/par-[0-9]*/blobs/uploads/?mount=[^ ]*from=par-[0-9]* HTTP/1.1" 201' <<<"$log")" -ge $((N - 1))
# The run's first tag HEAD is the registry's ping: no /v2/ request.
check "no /v2/ probe: the first tag HEAD pings the registry" test "$(grep -c '"HEAD /v2/ HTTP' <<<"$log")" = 0

# Warm: every tag names its image; HEADs only (the tag, its referrers).
before=$(reg_log_sync)
"$OCIB" build -f "$T/par.json" > "$T/warm.out" 2> "$T/warm.err" || { cat "$T/warm.err"; die "warm build -f failed"; }
log=$(reg_log_since "$before")
check "warm: the same output" cmp -s "$T/par.out" "$T/warm.out"
check "warm: no write request" bash -c "! grep -qE '\"(PUT|POST|PATCH) /v2/' <<<'$log'"
check "warm: one tag HEAD per image" test "$(grep -c '"HEAD /v2/par-[0-9]*/manifests/v1 ' <<<"$log")" = "$N"
# One request per image (the tag: the push record in the cache lists each
# image's last SBOM as pushed); the first is also the registry's ping.
check "warm: one request per image ($(grep -c '"[A-Z]* /v2/' <<<"$log") requests)" \
  test "$(grep -c '"[A-Z]* /v2/' <<<"$log")" = "$N"
# Warm on another machine (a fresh cache, so no push record): two requests
# per image (the tag, and the last of its SBOMs, which ocib pushes after
# the others and before the tag).
before=$(reg_log_sync)
XDG_CACHE_HOME=$T/fresh-cache "$OCIB" build -f "$T/par.json" > "$T/fresh.out" 2> "$T/fresh.err" \
  || { cat "$T/fresh.err"; die "warm build -f with a fresh cache failed"; }
log=$(reg_log_since "$before")
check "fresh cache: the same output" cmp -s "$T/par.out" "$T/fresh.out"
check "fresh cache: no write request" bash -c "! grep -qE '\"(PUT|POST|PATCH) /v2/' <<<'$log'"
check "fresh cache: two requests per image ($(grep -c '"[A-Z]* /v2/' <<<"$log") requests)" \
  test "$(grep -c '"[A-Z]* /v2/' <<<"$log")" = $((2 * N))
check "fresh cache: the last SBOM of each image is checked by digest" \
  test "$(grep -c '"HEAD /v2/par-[0-9]*/manifests/sha256:' <<<"$log")" = "$N"
# --check-referrers each: each SBOM checked too (one per platform), still nothing sent.
before=$(reg_log_sync)
"$OCIB" build -f "$T/par.json" --check-referrers each > "$T/checked.out" 2> "$T/checked.err" \
  || { cat "$T/checked.err"; die "build -f --check-referrers failed"; }
log=$(reg_log_since "$before")
check "--check-referrers: the same output" cmp -s "$T/par.out" "$T/checked.out"
check "--check-referrers: no write request" bash -c "! grep -qE '\"(PUT|POST|PATCH) /v2/' <<<'$log'"
check "--check-referrers: the SBOMs are checked by digest" \
  test "$(grep -c '"HEAD /v2/par-[0-9]*/manifests/sha256:' <<<"$log")" = $((2 * N))
# --check-referrers none: the tag alone, one request per image.
before=$(reg_log_sync)
"$OCIB" build -f "$T/par.json" --check-referrers none > "$T/trusted.out" 2> "$T/trusted.err" \
  || { cat "$T/trusted.err"; die "build -f --check-referrers none failed"; }
log=$(reg_log_since "$before")
check "--check-referrers none: the same output" cmp -s "$T/par.out" "$T/trusted.out"
check "--check-referrers none: one request per image" \
  test "$(grep -c '"[A-Z]* /v2/' <<<"$log")" = "$N"

# A missing binary in image 3 stops the run: exit 4, the image named.
make_file broken broken 3
set +e
"$OCIB" build -f "$T/broken.json" --jobs 1 > "$T/broken.out" 2> "$T/broken.err"
rc=$?
set -e
check "a failing image exits 4 (not found)" test "$rc" = 4
check "the error names the failing image" grep -q "broken.json: images\[3\] (svc-3): " "$T/broken.err"
check "the images before it were pushed and printed" test "$(grep -c . "$T/broken.out")" = 3
tags_status() { curl -s -o /dev/null -w '%{http_code}' "$REG_URL/v2/$1/tags/list"; }
check "image 2 has its tag" test "$(tags_status broken-2)" = 200
check "the images after it were not started" test "$(tags_status broken-4)" = 404
finish
