#!/usr/bin/env bash
# OCI 1.1 referrers on a registry without the referrers API (Debian's
# docker-registry, distribution 2.8): `ocib build --tag` with no --output
# pushes a two-platform image of fixtures/go/hello with its SPDX SBOMs, and
# keeps the sha256-<hex> fallback index of each platform manifest; a rebuild
# with --sbom cyclonedx adds the CycloneDX SBOMs next to the SPDX ones;
# `ocib referrers REF` and `ocib sbom REF` read them back; skopeo (an
# independent client) sees the same documents and still copies the image.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3 go
PY=/usr/bin/python3
"$PY" -c 'import jsonschema' 2>/dev/null || PY=python3
"$PY" -c 'import jsonschema' 2>/dev/null || { echo "SKIP: python3 jsonschema not installed (apt-get install python3-jsonschema)"; exit 77; }
reg_start http

hello_binaries amd64 arm64
export SOURCE_DATE_EPOCH=1700000000
# The temporary layout of a build without --output goes here.
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
REPO=$REG/ocib/hello
SPDX=application/spdx+json
CDX=application/vnd.cyclonedx+json
INDEX_MT=application/vnd.oci.image.index.v1+json
build() { "$OCIB" build --binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64" "$@"; }
raw() { skopeo inspect --raw $SKOPEO_TLS "docker://$1"; }

# 1. build --tag, no --output: pushed with its SPDX SBOMs.
cd "$T"
set +e
build --tag "$REPO:v1" > "$T/build1.out" 2> "$T/build1.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/build1.err"; die "build --tag without --output failed ($rc)"; }
check "build --tag prints one REF@sha256:... line" grep -Eqx "$REPO:v1@sha256:[0-9a-f]{64}" "$T/build1.out"
line=$(head -1 "$T/build1.out")
want=${line##*@}
check "the temporary layout was removed" test -z "$(ls -A "$TMPDIR")"
check "no layout was written in the working directory" test ! -e "$T/index.json" -a ! -e "$T/oci-layout"
index=$(raw "$REPO:v1")
check "the tag holds the printed index" test "sha256:$(printf '%s' "$index" | sha256sum | cut -d' ' -f1)" = "$want"
check "the tag holds an image index" test "$(jq -r .mediaType <<<"$index")" = "$INDEX_MT"
declare -A MAN
for arch in amd64 arm64; do
  MAN[$arch]=$(jq -r --arg a "$arch" '.manifests[]|select(.platform.architecture==$a).digest' <<<"$index")
  m=${MAN[$arch]}
  check "linux/$arch is in the index" grep -Eqx 'sha256:[0-9a-f]{64}' <<<"$m"
  fb=$(raw "$REPO:sha256-${m#sha256:}") || { fail "linux/$arch: no fallback tag sha256-${m#sha256:}"; continue; }
  printf '%s' "$fb" > "$T/fallback1-$arch.json"
  check "linux/$arch fallback tag holds an image index" test "$(jq -r .mediaType <<<"$fb")" = "$INDEX_MT"
  check "linux/$arch fallback index lists one referrer, artifactType $SPDX" \
    test "$(jq -r '[.manifests[].artifactType]|join(",")' <<<"$fb")" = "$SPDX"
  art=$(jq -r '.manifests[0].digest' <<<"$fb")
  artm=$(raw "$REPO@$art") || { fail "linux/$arch: the SBOM manifest $art is not in the registry"; continue; }
  check "linux/$arch SBOM manifest names the platform manifest as its subject" \
    test "$(jq -r .subject.digest <<<"$artm")" = "$m"
  check "linux/$arch SBOM manifest has artifactType $SPDX" test "$(jq -r .artifactType <<<"$artm")" = "$SPDX"
  check "linux/$arch fallback entry carries the manifest's annotations" \
    test "$(jq -cS '.manifests[0].annotations' <<<"$fb")" = "$(jq -cS .annotations <<<"$artm")" -a "$(jq -r '.annotations|length' <<<"$artm")" -gt 0
done

# The temporary layout is made in $TMPDIR: where that cannot be, the build
# fails before pushing anything.
set +e
TMPDIR=$T/missing build --tag "$REPO:never" > /dev/null 2> "$T/notmp.err"
rc=$?
set -e
check "build --tag with an unusable TMPDIR fails (exit 1)" test "$rc" = 1
check "and the error names the temporary layout it could not create" grep -q "$T/missing/ocib-build-" "$T/notmp.err"
check "and the tag was not pushed" bash -c "! skopeo inspect --raw $SKOPEO_TLS 'docker://$REPO:never' > /dev/null 2>&1"

# 2. A second referrer of the same subjects: the same inputs with --sbom
# cyclonedx give the same image digests.
set +e
build --sbom cyclonedx --tag "$REPO:v1" > "$T/build2.out" 2> "$T/build2.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/build2.err"; die "build --sbom cyclonedx --tag failed ($rc)"; }
check "the rebuild prints the same index" test "$(cat "$T/build2.out")" = "$line"
for arch in amd64 arm64; do
  m=${MAN[$arch]}
  fb=$(raw "$REPO:sha256-${m#sha256:}") || { fail "linux/$arch: fallback tag gone"; continue; }
  check "linux/$arch fallback index lists the SPDX and the CycloneDX SBOM" \
    test "$(jq -r '[.manifests[].artifactType]|sort|join(",")' <<<"$fb")" = "$SPDX,$CDX"
  check "linux/$arch fallback index keeps the SPDX entry as it was, first" \
    test "$(jq -c '.manifests[0]' <<<"$fb")" = "$(jq -c '.manifests[0]' "$T/fallback1-$arch.json")"
done

# 3. ocib referrers REF (tag and digest).
"$OCIB" referrers "$REPO:v1" > "$T/referrers.out" 2> "$T/referrers.err" || { cat "$T/referrers.err"; fail "ocib referrers REF"; }
check "ocib referrers REF prints 4 referrers (2 per platform)" test "$(grep -c . "$T/referrers.out")" = 4
for arch in amd64 arm64; do
  check "ocib referrers REF: linux/$arch has an SPDX and a CycloneDX SBOM" \
    test "$(jq -r --arg m "${MAN[$arch]}" 'select(.subject==$m).artifactType' "$T/referrers.out" | sort | tr '\n' ' ')" = "$SPDX $CDX "
done
"$OCIB" referrers "$REPO:v1" --artifact-type "$CDX" > "$T/referrers-cdx.out" 2>/dev/null || fail "ocib referrers --artifact-type"
check "ocib referrers REF --artifact-type $CDX lists the 2 CycloneDX SBOMs only" \
  test "$(jq -r .artifactType "$T/referrers-cdx.out" | tr '\n' ' ')" = "$CDX $CDX "
"$OCIB" referrers "$REPO@${MAN[arm64]}" > "$T/referrers-arm64.out" 2>/dev/null || fail "ocib referrers REF@DIGEST"
check "ocib referrers REF@DIGEST lists that manifest's two" \
  test "$(jq -r .subject "$T/referrers-arm64.out" | sort -u | tr -d '\n')" = "${MAN[arm64]}" -a "$(grep -c . "$T/referrers-arm64.out")" = 2

# 4. ocib sbom REF --platform: the SPDX document of that platform.
"$OCIB" sbom "$REPO:v1" --platform linux/arm64 > "$T/sbom-arm64.json" 2> "$T/sbom.err" || { cat "$T/sbom.err"; fail "ocib sbom REF"; }
check "ocib sbom REF --platform linux/arm64 validates against the SPDX 2.3 schema" "$PY" -c '
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' \
  "$OCIB_SOURCE_DIR/fixtures/schemas/sbom/spdx-2.3/spdx-schema.json" "$T/sbom-arm64.json"
check "the SBOM describes the linux/arm64 manifest" grep -q "${MAN[arm64]#sha256:}" "$T/sbom-arm64.json"
check "the SBOM does not describe the linux/amd64 manifest" bash -c "! grep -q '${MAN[amd64]#sha256:}' '$T/sbom-arm64.json'"
build --output "oci:$T/layout:v1" > /dev/null 2>&1 || die "build --output failed"
"$OCIB" sbom "oci:$T/layout:v1" --platform linux/arm64 > "$T/sbom-layout-arm64.json"
check "the registry SBOM equals the one a layout build attaches" cmp -s "$T/sbom-arm64.json" "$T/sbom-layout-arm64.json"
set +e
"$OCIB" sbom "$REPO:v1" --platform linux/s390x > /dev/null 2>&1
rc=$?
set -e
check "ocib sbom REF for a platform the image lacks exits 4" test "$rc" = 4

# 5. ocib push of a layout with referrers, to another repository.
out=$("$OCIB" push "oci:$T/layout:v1" "$REG/ocib/pushed:v1" 2> "$T/push.err") || { cat "$T/push.err"; fail "ocib push"; }
check "ocib push prints the same digest" test "${out##*@}" = "$want"
fb=$(raw "$REG/ocib/pushed:sha256-${MAN[amd64]#sha256:}" 2>/dev/null || true)
[ -n "$fb" ] || fb='{}'
check "ocib push maintained the fallback tag (one SPDX referrer)" \
  test "$(jq -r '[.manifests[]?.artifactType]|join(",")' <<<"$fb")" = "$SPDX"

# 6. An independent client still copies the image.
skopeo copy --all -q --src-tls-verify=false "docker://$REPO:v1" "oci:$T/skopeo:v1" > /dev/null 2> "$T/skopeo.err" || { cat "$T/skopeo.err"; fail "skopeo copy --all"; }
check "skopeo copy --all docker://REPO:v1 gives the same index" test "$(layout_digest "$T/skopeo" v1)" = "$want"
finish
