#!/usr/bin/env bash
# `ocib copy` and `ocib pull` carry an image's OCI 1.1 referrers (its SBOMs)
# on Debian's docker-registry (distribution 2.8: no referrers API, so the
# sha256-<hex> fallback tag index): `ocib build --tag` pushes a two-platform
# image of fixtures/go/hello with its SPDX SBOMs to repository a; then
#  - copy a -> b (same registry) and a -> a second registry: skopeo (an
#    independent client) sees the SBOM manifests and the fallback index of
#    each platform manifest, listing them with artifactType; `ocib sbom` and
#    `ocib referrers` read the same from b as from a;
#  - copy --no-referrers a -> c: no fallback tag, no referrers;
#  - pull b into a layout: index.json lists the SBOMs, `ocib validate`
#    passes, `ocib sbom oci:` reads them; pull --platform linux/amd64
#    carries amd64's SBOM only; pull --no-referrers none;
#  - a rebuild adds CycloneDX SBOMs to a; copying again merges them into
#    b's fallback indexes (existing entries kept as they were, none twice);
#  - layout -> layout and layout -> registry copies carry them too, and so
#    does push; push --no-referrers does not.
source "$(dirname "$0")/lib.sh"
need skopeo jq go

hello_binaries amd64 arm64
export SOURCE_DATE_EPOCH=1700000000
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
cd "$T"

# Two registries: the second one for a copy across registries.
reg_start http
REG2=$REG
reg_start http
REG1=$REG
A=$REG1/ocib/a
B=$REG1/ocib/b
C=$REG1/ocib/c
X=$REG2/ocib/x
SPDX=application/spdx+json
CDX=application/vnd.cyclonedx+json
INDEX_MT=application/vnd.oci.image.index.v1+json
build() { "$OCIB" build --binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64" "$@"; }
raw() { skopeo inspect --raw --tls-verify=false "docker://$1"; }
# run NAME COMMAND...: runs an ocib command, stdout to $T/NAME.out; dies
# with its stderr on failure.
run() {
  local name=$1; shift
  "$@" > "$T/$name.out" 2> "$T/$name.err" || { cat "$T/$name.err" >&2; die "$name: $* failed"; }
}

run build1 build --tag "$A:v1"
want=$(sed 's/.*@//' "$T/build1.out")
index=$(raw "$A:v1")
declare -A MAN
for arch in amd64 arm64; do
  MAN[$arch]=$(jq -r --arg a "$arch" '.manifests[]|select(.platform.architecture==$a).digest' <<<"$index")
  raw "$A:sha256-${MAN[$arch]#sha256:}" > "$T/a-fallback-$arch.json" || die "a has no fallback tag for linux/$arch"
  check "a: linux/$arch has one SPDX referrer" test "$(jq -r '[.manifests[].artifactType]|join(",")' "$T/a-fallback-$arch.json")" = "$SPDX"
done

# 1. copy a -> b (same registry), a -> x (another registry).
for dst in "$B" "$X"; do
  name=$(basename "$dst")
  run "copy-$name" "$OCIB" copy "$A:v1" "$dst:v1"
  check "copy to $dst prints the image digest" test "$(cat "$T/copy-$name.out")" = "$dst:v1@$want"
  check "$dst:v1 is the same index (skopeo)" test "sha256:$(raw "$dst:v1" | sha256sum | cut -d' ' -f1)" = "$want"
  for arch in amd64 arm64; do
    m=${MAN[$arch]}
    fb=$(raw "$dst:sha256-${m#sha256:}" 2>/dev/null) || { fail "$dst: no fallback tag sha256-${m#sha256:} for linux/$arch"; continue; }
    check "$dst: linux/$arch fallback tag holds an image index" test "$(jq -r .mediaType <<<"$fb")" = "$INDEX_MT"
    check "$dst: linux/$arch fallback index lists the SBOM with artifactType $SPDX, as a does" \
      test "$(jq -c '[.manifests[]|{digest,artifactType}]' <<<"$fb")" = "$(jq -c '[.manifests[]|{digest,artifactType}]' "$T/a-fallback-$arch.json")"
    art=$(jq -r '.manifests[0].digest' <<<"$fb")
    check "$dst: linux/$arch SBOM manifest has the same bytes as in a" \
      test "$(raw "$dst@$art" 2>/dev/null | sha256sum)" = "$(raw "$A@$art" | sha256sum)"
    layer=$(raw "$A@$art" | jq -r '.layers[0].digest')
    check "$dst: linux/$arch SBOM payload blob is there" \
      curl -sf -o /dev/null -I "http://${dst%%/*}/v2/ocib/$name/blobs/$layer"
  done
  run "sbom-$name" "$OCIB" sbom "$dst:v1" --platform linux/arm64
  run "sbom-a" "$OCIB" sbom "$A:v1" --platform linux/arm64
  check "ocib sbom $dst:v1 --platform linux/arm64 prints the same SBOM as from a" cmp -s "$T/sbom-$name.out" "$T/sbom-a.out"
  check "and it describes the linux/arm64 manifest" grep -q "${MAN[arm64]#sha256:}" "$T/sbom-$name.out"
  run "referrers-$name" "$OCIB" referrers "$dst:v1"
  run "referrers-a" "$OCIB" referrers "$A:v1"
  check "ocib referrers $dst:v1 lists what a lists (2 SBOMs)" \
    test "$(cat "$T/referrers-$name.out")" = "$(cat "$T/referrers-a.out")" -a "$(grep -c . "$T/referrers-a.out")" = 2
done

# 2. --no-referrers: the image only.
run copy-c "$OCIB" copy --no-referrers "$A:v1" "$C:v1"
check "copy --no-referrers copies the image" test "sha256:$(raw "$C:v1" | sha256sum | cut -d' ' -f1)" = "$want"
for arch in amd64 arm64; do
  m=${MAN[$arch]}
  check "copy --no-referrers: c has no fallback tag for linux/$arch (skopeo fails)" \
    bash -c "! skopeo inspect --raw --tls-verify=false 'docker://$C:sha256-${m#sha256:}' > /dev/null 2>&1"
done
run referrers-c "$OCIB" referrers "$C:v1"
check "ocib referrers c:v1 lists nothing" test ! -s "$T/referrers-c.out"
# The tag already names the image: --check-referrers none stops there (one
# request: the tag's HEAD), the default checks each referrer and adds the
# missing SBOMs.
before=$(reg_log_sync)
run copy-c-none "$OCIB" copy --check-referrers none "$A:v1" "$C:v1"
log=$(reg_log_since "$before")
check "copy --check-referrers none: one manifest request to c" \
  test "$(grep -c '"[A-Z]* /v2/ocib/c/' <<<"$log")" = 1
run referrers-c-none "$OCIB" referrers "$C:v1"
check "copy --check-referrers none: c still has no referrers" test ! -s "$T/referrers-c-none.out"
run copy-c-each "$OCIB" copy "$A:v1" "$C:v1"
run referrers-c-each "$OCIB" referrers "$C:v1"
check "copy (each referrer checked): c now lists the two SPDX SBOMs" \
  test "$(grep -c "$SPDX" "$T/referrers-c-each.out")" = 2
run copy-c-last "$OCIB" copy --check-referrers last "$A:v1" "$C:v1"
check "copy --check-referrers last: the same image, nothing else" \
  test "$(sed 's/.*@//' "$T/copy-c-last.out")" = "$want"

# 3. pull b into layouts.
spdx_entries() { jq -r --arg t "$SPDX" '[.manifests[]|select(.artifactType==$t).digest]|sort|join(",")' "$1/index.json"; }
subject_of() { jq -r .subject.digest "$1/blobs/sha256/${2#sha256:}"; }
run pull "$OCIB" pull "$B:v1" "oci:$T/pulled"
check "pull prints the index digest" test "$(cat "$T/pull.out")" = "$B:v1@$want"
check "pulled layout: v1 is the index" test "$(layout_digest "$T/pulled" v1)" = "$want"
sboms=$(spdx_entries "$T/pulled")
check "pulled layout: index.json lists the 2 SBOM manifests" \
  test "$sboms" = "$(jq -rs '[.[].manifests[].digest]|sort|join(",")' "$T/a-fallback-amd64.json" "$T/a-fallback-arm64.json")"
check "pulled layout: the 2 SBOM entries are untagged" \
  test "$(jq -r --arg t "$SPDX" '[.manifests[]|select(.artifactType==$t)|.annotations["org.opencontainers.image.ref.name"]//empty]|length' "$T/pulled/index.json")" = 0
run validate-pulled "$OCIB" validate "oci:$T/pulled"
pass "ocib validate oci:pulled"
run sbom-pulled "$OCIB" sbom "oci:$T/pulled:v1" --platform linux/arm64
check "ocib sbom oci:pulled --platform linux/arm64 is the registry's SBOM" cmp -s "$T/sbom-pulled.out" "$T/sbom-a.out"

run pull-amd64 "$OCIB" pull --platform linux/amd64 "$B:v1" "oci:$T/amd64"
amd_sboms=$(spdx_entries "$T/amd64")
check "pull --platform linux/amd64: index.json lists one SBOM" grep -Eqx 'sha256:[0-9a-f]{64}' <<<"$amd_sboms"
check "pull --platform linux/amd64: its subject is the linux/amd64 manifest" \
  test "$(subject_of "$T/amd64" "$amd_sboms")" = "${MAN[amd64]}"
check "pull --platform linux/amd64: index.json has the image and that SBOM only" \
  test "$(jq '.manifests|length' "$T/amd64/index.json")" = 2
run validate-amd64 "$OCIB" validate "oci:$T/amd64"
pass "ocib validate oci:amd64"
run sbom-amd64 "$OCIB" sbom "oci:$T/amd64:v1" --platform linux/amd64
check "ocib sbom oci:amd64 --platform linux/amd64 describes the linux/amd64 manifest" grep -q "${MAN[amd64]#sha256:}" "$T/sbom-amd64.out"

run pull-none "$OCIB" pull --no-referrers "$B:v1" "oci:$T/none"
check "pull --no-referrers: index.json has the image only" test "$(jq -c '[.manifests[].digest]' "$T/none/index.json")" = "[\"$want\"]"
run validate-none "$OCIB" validate "oci:$T/none"
pass "ocib validate oci:none"

# 4. A rebuild adds CycloneDX SBOMs to a; copying again merges them into b.
run build2 build --sbom cyclonedx --tag "$A:v1"
check "the rebuild gives the same index" test "$(sed 's/.*@//' "$T/build2.out")" = "$want"
run copy-b2 "$OCIB" copy "$A:v1" "$B:v1"
for arch in amd64 arm64; do
  m=${MAN[$arch]}
  raw "$B:sha256-${m#sha256:}" > "$T/b-fallback2-$arch.json" || { fail "b: fallback tag gone"; continue; }
  check "b: linux/$arch fallback index lists the SPDX and the CycloneDX SBOM" \
    test "$(jq -r '[.manifests[].artifactType]|sort|join(",")' "$T/b-fallback2-$arch.json")" = "$SPDX,$CDX"
  check "b: linux/$arch fallback index keeps the SPDX entry as it was, first" \
    test "$(jq -c '.manifests[0]' "$T/b-fallback2-$arch.json")" = "$(jq -c '.manifests[0]' "$T/a-fallback-$arch.json")"
  check "b: linux/$arch fallback index lists no digest twice" \
    test "$(jq '[.manifests[].digest]|unique|length' "$T/b-fallback2-$arch.json")" = 2
done
run copy-b3 "$OCIB" copy "$A:v1" "$B:v1"
for arch in amd64 arm64; do
  m=${MAN[$arch]}
  check "b: a third copy leaves the linux/$arch fallback index byte for byte" \
    test "$(raw "$B:sha256-${m#sha256:}" | sha256sum)" = "$(sha256sum < "$T/b-fallback2-$arch.json")"
done

# 5. layout -> layout, layout -> registry.
run pull2 "$OCIB" pull "$B:v1" "oci:$T/pulled2"
run copy-ll "$OCIB" copy "oci:$T/pulled2:v1" "oci:$T/copied:v2"
check "layout copy: v2 is the index" test "$(layout_digest "$T/copied" v2)" = "$want"
check "layout copy: index.json lists the 4 SBOMs, as the source does" \
  test "$(jq -c '[.manifests[]|select(.artifactType)|.digest]|sort' "$T/copied/index.json")" = "$(jq -c '[.manifests[]|select(.artifactType)|.digest]|sort' "$T/pulled2/index.json")" \
    -a "$(jq '[.manifests[]|select(.artifactType)]|length' "$T/copied/index.json")" = 4
run validate-copied "$OCIB" validate "oci:$T/copied"
pass "ocib validate oci:copied"
run sbom-copied "$OCIB" sbom "oci:$T/copied:v2" --platform linux/arm64
check "ocib sbom oci:copied --platform linux/arm64 is the registry's SBOM" cmp -s "$T/sbom-copied.out" "$T/sbom-a.out"
run copy-ll-none "$OCIB" copy --no-referrers "oci:$T/pulled2:v1" "oci:$T/copied-none:v2"
check "layout copy --no-referrers: index.json has the image only" \
  test "$(jq -c '[.manifests[].digest]' "$T/copied-none/index.json")" = "[\"$want\"]"

run copy-lr "$OCIB" copy "oci:$T/copied:v2" "$REG2/ocib/fromlayout:v1"
m=${MAN[arm64]}
fb=$(raw "$REG2/ocib/fromlayout:sha256-${m#sha256:}" 2>/dev/null || echo '{}')
check "layout -> registry copy: the linux/arm64 fallback index lists both SBOMs" \
  test "$(jq -r '[.manifests[]?.artifactType]|sort|join(",")' <<<"$fb")" = "$SPDX,$CDX"
run copy-lr-none "$OCIB" copy --no-referrers "oci:$T/copied:v2" "$REG2/ocib/fromlayout-none:v1"
check "layout -> registry copy --no-referrers: no fallback tag" \
  bash -c "! skopeo inspect --raw --tls-verify=false 'docker://$REG2/ocib/fromlayout-none:sha256-${m#sha256:}' > /dev/null 2>&1"
run push "$OCIB" push "oci:$T/copied:v2" "$REG2/ocib/pushed:v1"
fb=$(raw "$REG2/ocib/pushed:sha256-${m#sha256:}" 2>/dev/null || echo '{}')
check "push: the linux/arm64 fallback index lists both SBOMs" \
  test "$(jq -r '[.manifests[]?.artifactType]|sort|join(",")' <<<"$fb")" = "$SPDX,$CDX"
run push-none "$OCIB" push --no-referrers "oci:$T/copied:v2" "$REG2/ocib/pushed-none:v1"
check "push --no-referrers pushes the image" \
  test "sha256:$(raw "$REG2/ocib/pushed-none:v1" | sha256sum | cut -d' ' -f1)" = "$want"
check "push --no-referrers: no fallback tag" \
  bash -c "! skopeo inspect --raw --tls-verify=false 'docker://$REG2/ocib/pushed-none:sha256-${m#sha256:}' > /dev/null 2>&1"
run referrers-pushed-none "$OCIB" referrers "$REG2/ocib/pushed-none:v1"
check "ocib referrers lists nothing after push --no-referrers" test ! -s "$T/referrers-pushed-none.out"

# 6. An independent client still copies b.
skopeo copy --all -q --src-tls-verify=false "docker://$B:v1" "oci:$T/skopeo:v1" > /dev/null 2> "$T/skopeo.err" || { cat "$T/skopeo.err"; fail "skopeo copy --all"; }
check "skopeo copy --all docker://b:v1 gives the same index" test "$(layout_digest "$T/skopeo" v1)" = "$want"
finish
