#!/usr/bin/env bash
# Day-2 operations against Debian's docker-registry, with skopeo as the
# oracle: `ocib ls` (pages, --digests, layouts), `ocib tag` (same bytes, no
# blob moves), `ocib delete` (a tag through the placeholder fallback, a
# digest with its referrers, a registry that forbids deletion, layouts) and
# `ocib mutate` (registry to registry without a layer download, same digest
# twice, one HEAD when the result is there, --platform, and the mutated
# image runs under runc with the new cmd and user).
source "$(dirname "$0")/lib.sh"
need skopeo jq go umoci runc

hello_binaries amd64 arm64
export SOURCE_DATE_EPOCH=1700000000
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
cd "$T"

REG_DELETE=false reg_start http
NODEL=$REG
reg_start http
A=$REG/day2/app
M=$REG/day2/mutated
raw() { skopeo inspect --raw --tls-verify=false "docker://$1"; }
tags() { skopeo list-tags --tls-verify=false "docker://$1" | jq -r '.Tags[]' | sort; }
# run NAME COMMAND...: stdout to $T/NAME.out, stderr to $T/NAME.err; dies on failure.
run() {
  local name=$1; shift
  "$@" > "$T/$name.out" 2> "$T/$name.err" || { cat "$T/$name.err" >&2; die "$name: $* failed"; }
}
# expect_exit CODE NAME COMMAND...: the command fails with CODE.
expect_exit() {
  local code=$1 name=$2; shift 2
  local rc=0
  "$@" > "$T/$name.out" 2> "$T/$name.err" || rc=$?
  check "$name exits $code (got $rc: $(head -c 300 "$T/$name.err"))" test "$rc" = "$code"
}
log_lines() { wc -l < "$REG_LOG"; }
build() { "$OCIB" build --binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64" "$@"; }

run build build --tag "$A:v1"
want=$(sed 's/.*@//' "$T/build.out")

# --- tag: the same manifest bytes under new tags; no blob request.
before=$(log_lines)
run tag "$OCIB" tag "$A:v1" v2 v3 release-1
check "tag prints one line per new tag" test "$(cat "$T/tag.out")" = "$(printf '%s\n' "$A:v2@$want" "$A:v3@$want" "$A:release-1@$want")"
for t in v2 v3 release-1; do
  check "skopeo: $t has the bytes of v1" test "$(raw "$A:$t" | sha256sum)" = "$(raw "$A:v1" | sha256sum)"
done
check "tag sent no blob request" test "$(tail -n +"$((before + 1))" "$REG_LOG" | grep -c '/blobs/' || true)" = 0
expect_exit 4 tag-missing "$OCIB" tag "$A:nope" x
expect_exit 2 tag-bad "$OCIB" tag "$A:v1" good 'bad!tag'
check "the error names the bad tag" grep -q 'invalid tag "bad!tag"' "$T/tag-bad.err"
check "a bad tag wrote nothing, not even the good one" test "$(tags "$A" | grep -c '^good$' || true)" = 0

# --- ls: every tag (the SBOM fallback tags included), pages, digests.
run ls "$OCIB" ls "$A"
check "ls lists what skopeo lists" test "$(sort "$T/ls.out")" = "$(tags "$A")"
before=$(log_lines)
run ls-paged "$OCIB" ls "$A" --page-size 2
check "ls --page-size 2 lists the same tags" test "$(sort "$T/ls-paged.out")" = "$(tags "$A")"
# docker-registry 2.8 ignores ?n= (one page, no Link header); following
# Link pages is covered by the unit tests (test/unit/ops/tags_test.cc).
check "ls --page-size 2 asks for ?n=2" grep -q '"GET /v2/day2/app/tags/list?n=2 ' <(tail -n +"$((before + 1))" "$REG_LOG")
run ls-digests "$OCIB" ls "$A" --digests
check "ls --digests: v1 with its digest" grep -qx "$A:v1@$want" "$T/ls-digests.out"
while IFS= read -r line; do
  ref=${line%@*}; d=${line##*@}
  check "ls --digests $ref matches skopeo" test "sha256:$(raw "$ref" | sha256sum | cut -d' ' -f1)" = "$d"
done < <(grep -v ':sha256-' "$T/ls-digests.out")
expect_exit 4 ls-missing "$OCIB" ls "$REG/day2/none"

# --- layouts: tag, ls, delete.
run build-layout build --output "oci:$T/lay:v1"
run tag-layout "$OCIB" tag "oci:$T/lay:v1" stable
run ls-layout "$OCIB" ls "oci:$T/lay"
check "ls oci: lists v1 and stable" test "$(sort "$T/ls-layout.out" | tr '\n' ' ')" = "stable v1 "
check "skopeo reads oci:lay:stable" test "sha256:$(skopeo inspect --raw "oci:$T/lay:stable" | sha256sum | cut -d' ' -f1)" = "$(layout_digest "$T/lay" v1)"
run delete-layout "$OCIB" delete "oci:$T/lay:stable"
run ls-layout2 "$OCIB" ls "oci:$T/lay"
check "after delete only v1 is left" test "$(cat "$T/ls-layout2.out")" = "v1"
run validate-layout "$OCIB" validate "oci:$T/lay"
expect_exit 4 delete-layout-missing "$OCIB" delete "oci:$T/lay:stable"

# --- delete a tag (docker-registry 2.8 deletes by digest only: placeholder).
run delete-tag "$OCIB" delete "$A:v3"
check "delete tag prints the tag and the digest it named" test "$(cat "$T/delete-tag.out")" = "$A:v3@$want"
check "v3 is gone (skopeo)" bash -c "! skopeo list-tags --tls-verify=false docker://$A | jq -r '.Tags[]' | grep -qx v3"
check "v1 still names the image" test "sha256:$(raw "$A:v1" | sha256sum | cut -d' ' -f1)" = "$want"
check "stderr explains the placeholder" grep -q placeholder "$T/delete-tag.err"
expect_exit 4 delete-missing "$OCIB" delete "$A:nope"

# --- a registry that forbids deletion: clear error, nothing changes.
run copy-nodel "$OCIB" copy "$A:v1" "$NODEL/day2/app:v1"
expect_exit 3 delete-forbidden "$OCIB" delete "$NODEL/day2/app@$want" --referrers
check "the error says deletion is not allowed" grep -q 'does not allow deleting' "$T/delete-forbidden.err"
check "the image is still there" test "sha256:$(raw "$NODEL/day2/app:v1" | sha256sum | cut -d' ' -f1)" = "$want"
expect_exit 3 delete-forbidden-tag "$OCIB" delete "$NODEL/day2/app:v1"
check "the tag is still there" test "$(tags "$NODEL/day2/app" | grep -cx v1)" = 1

# --- mutate registry to registry (another repository, same registry).
idx=$(raw "$A:v1")
layers=$(for m in $(jq -r '.manifests[].digest' <<<"$idx"); do raw "$A@$m" | jq -r '.layers[].digest'; done | sort -u)
before=$(log_lines)
run mutate "$OCIB" mutate "$A:v1" "$M:v1" --cmd hi --env GREETING=hello --label tier=web --user 0:0 --annotation org.example.note=mutated
new=$(sed 's/.*@//' "$T/mutate.out")
check "mutate prints REF@digest" test "$(cat "$T/mutate.out")" = "$M:v1@$new"
check "skopeo: the new index has that digest" test "sha256:$(raw "$M:v1" | sha256sum | cut -d' ' -f1)" = "$new"
check "no layer blob was downloaded" test "$(for l in $layers; do tail -n +"$((before + 1))" "$REG_LOG" | grep -c "\"GET /v2/[^ ]*/blobs/$l " || true; done | paste -sd+ | bc)" = 0
nidx=$(raw "$M:v1")
check "two platforms" test "$(jq '.manifests|length' <<<"$nidx")" = 2
check "index annotation set" test "$(jq -r '.annotations["org.example.note"]' <<<"$nidx")" = mutated
nlayers=$(for m in $(jq -r '.manifests[].digest' <<<"$nidx"); do raw "$M@$m" | jq -r '.layers[].digest'; done | sort -u)
check "layers untouched" test "$nlayers" = "$layers"
cfg=$(skopeo --override-arch arm64 inspect --config --tls-verify=false "docker://$M:v1")
check "arm64 config: cmd, env, label, user" test "$(jq -c '[.config.Cmd, (.config.Env|index("GREETING=hello") != null), .config.Labels.tier, .config.User]' <<<"$cfg")" = '[["hi"],true,"web","0:0"]'
check "stderr says the SBOMs were not carried" grep -q 'referrer(s).*not carried' "$T/mutate.err"
before=$(log_lines)
run mutate-again "$OCIB" mutate "$A:v1" "$M:v1" --cmd hi --env GREETING=hello --label tier=web --user 0:0 --annotation org.example.note=mutated
check "same inputs, same digest" test "$(cat "$T/mutate-again.out")" = "$M:v1@$new"
check "nothing written the second time" test "$(tail -n +"$((before + 1))" "$REG_LOG" | grep -c '"\(PUT\|POST\|PATCH\) ' || true)" = 0
check "one request to the destination repository (HEAD of the tag)" test "$(tail -n +"$((before + 1))" "$REG_LOG" | grep -c '"[A-Z]* /v2/day2/mutated/' || true)" = 1
run mutate-amd64 "$OCIB" mutate "$A:v1" "$M:amd64" --platform linux/amd64 --cmd hi --user 0:0
check "--platform keeps one platform" test "$(raw "$M:amd64" | jq -c '[.manifests[].platform.architecture]')" = '["amd64"]'
expect_exit 4 mutate-platform "$OCIB" mutate "$A:v1" "$M:x" --platform linux/s390x
check "the missing platform is named" grep -q 'linux/s390x' "$T/mutate-platform.err"
expect_exit 2 mutate-bad-env "$OCIB" mutate "$A:v1" "$M:x" --env NOEQUALS
# mutate --sbom: new SBOMs for the new manifests (the binary read from the
# layers), to the registry and to a layout; again: nothing written.
run mutate-sbom "$OCIB" mutate "$A:v1" "$M:sbom" --cmd hi --sbom spdx
for arch in amd64 arm64; do
  man=$(raw "$M:sbom" | jq -r --arg a "$arch" '.manifests[] | select(.platform.architecture==$a).digest')
  "$OCIB" sbom "$M:sbom" --platform "linux/$arch" > "$T/mutated-sbom-$arch.json" 2> "$T/mutated-sbom.err" || { cat "$T/mutated-sbom.err"; die "ocib sbom $M:sbom"; }
  check "mutate --sbom: an SPDX SBOM of the new linux/$arch manifest" grep -q "${man#sha256:}" "$T/mutated-sbom-$arch.json"
  check "mutate --sbom: it lists the Go standard library of linux/$arch" test "$(jq -r '[.packages[].name] | index("stdlib") != null' "$T/mutated-sbom-$arch.json")" = true
  check "skopeo: the referrers tag of linux/$arch lists one SPDX SBOM" test "$(raw "$M:sha256-${man#sha256:}" | jq -r '[.manifests[].artifactType] | join(" ")')" = application/spdx+json
done
run mutate-sbom-layout "$OCIB" mutate "$A:v1" "oci:$T/mutated:sbom" --cmd hi --sbom spdx
check "mutate --sbom to a layout: the same image" test "$(sed 's/.*@//' "$T/mutate-sbom-layout.out")" = "$(sed 's/.*@//' "$T/mutate-sbom.out")"
check "mutate --sbom to a layout: the same SBOM bytes" cmp -s "$T/mutated-sbom-arm64.json" <("$OCIB" sbom "oci:$T/mutated:sbom" --platform linux/arm64)
before=$(log_lines)
run mutate-sbom-again "$OCIB" mutate "$A:v1" "$M:sbom" --cmd hi --sbom spdx
check "mutate --sbom again: nothing written" test "$(tail -n +"$((before + 1))" "$REG_LOG" | grep -c '"\(PUT\|POST\|PATCH\) ' || true)" = 0

# The mutated image runs with the new cmd and user.
# (umoci reads gzip layers only: skopeo recompresses, with a private tmpdir.)
mkdir -p "$T/skopeo-tmp"
skopeo --tmpdir "$T/skopeo-tmp" --override-arch amd64 copy --quiet --src-tls-verify=false --dest-compress \
  --dest-compress-format gzip "docker://$M:v1" "oci:$T/gz:img" 2> "$T/skopeo.err" || { cat "$T/skopeo.err"; die "skopeo copy"; }
check "the gzip copy keeps the mutated config" test "$(jq -r '.manifests[0].digest' "$T/gz/index.json")" != ""
umoci unpack --image "$T/gz:img" "$T/bundle" > /dev/null 2> "$T/umoci.err" || { cat "$T/umoci.err"; die "umoci unpack"; }
jq '.process.terminal=false' "$T/bundle/config.json" > "$T/bundle/c.json" && mv "$T/bundle/c.json" "$T/bundle/config.json"
out=$(cd "$T/bundle" && timeout 60 runc run "ocib-day2-$$" 2>&1) || true
runc delete -f "ocib-day2-$$" > /dev/null 2>&1 || true
check "runc runs the mutated image ($out)" grep -q 'uid=0' <<<"$out"
check "with the new cmd" grep -q 'args: \[hi\]' <<<"$out"

# --- delete by digest with referrers (after mutate read them).
fallbacks=$(tags "$A" | grep -c '^sha256-' || true)
check "the image has SBOM fallback tags" test "$fallbacks" -gt 0
run delete-digest "$OCIB" delete "$A@$want" --referrers
check "delete printed the image digest last" test "$(tail -1 "$T/delete-digest.out")" = "$A@$want"
check "v1 is gone (skopeo)" bash -c "! skopeo inspect --raw --tls-verify=false docker://$A:v1 >/dev/null 2>&1"
check "the fallback tags are gone" test "$(tags "$A" | grep -c '^sha256-' || true)" = 0
finish
