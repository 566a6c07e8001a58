#!/usr/bin/env bash
# Registry conformance against Debian's docker-registry (distribution 2.8):
# (a) a cross-repository mount the registry cannot honour is answered 202
#     with an upload location: ocib uploads into that session (one POST for
#     the blob, no second session opened, none cancelled) and the result is
#     complete (skopeo copies it back, ocib validates it);
# (b) the referrers fallback tag `sha256-<hex>` holding something that is
#     not an image index is refused (exit 1, the message names the tag and
#     what it holds, the tag is left as it was); with
#     --replace-referrers-tag it is replaced by an index of the referrers;
# (c) a registry base whose layers are never downloaded (build --tag, no
#     --output): a --file tree merged onto the base's /tmp and
#     /home/nonroot leaves their modes and owners the base's (umoci unpacks
#     the pushed image and says so); an empty directory is still created.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3 go curl umoci
hello_binaries amd64
export SOURCE_DATE_EPOCH=1700000000
reg_start http
BINS=(--binary "linux/amd64=$T/hello-amd64")
run_ocib() { # NAME ARGS...: runs ocib, keeps stdout/stderr in $T/NAME.{out,err}, returns its code
  local name=$1; shift
  set +e
  "$OCIB" "$@" > "$T/$name.out" 2> "$T/$name.err"
  local rc=$?
  set -e
  return $rc
}
ACCEPT=(-H 'Accept: application/vnd.oci.image.index.v1+json' -H 'Accept: application/vnd.oci.image.manifest.v1+json')
get_manifest() { # REPO TAG|DIGEST: the document (an image manifest; one platform builds no index)
  curl -sf "${ACCEPT[@]}" "$REG_URL/v2/$1/manifests/$2"
}

tag_digest() { # REPO TAG: the digest the registry serves for the tag
  curl -sI "${ACCEPT[@]}" "$REG_URL/v2/$1/manifests/$2" |
    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

# --- (a) a refused mount answered 202 -------------------------------------
run_ocib base build "${BINS[@]}" --binary-path /bin/hello --sbom none --tag "$REG/ocib/base:1" ||
  { cat "$T/base.err" >&2; die "pushing the base failed"; }
LAYER=$(get_manifest ocib/base 1 | jq -r '.layers[-1].digest')
check "the base has a layer to mount" grep -Eqx 'sha256:[0-9a-f]{64}' <<<"$LAYER"
# --- (c) directory metadata on a registry base that is never downloaded ---
mkdir -p "$T/tree/sub" "$T/tree/empty"
echo x > "$T/tree/x"
echo y > "$T/tree/sub/y"
run_ocib dirs build --base "$REG/ocib/base:1" "${BINS[@]}" --sbom none \
  --file "$T/tree:/tmp" --file "$T/tree:/home/nonroot" --tag "$REG/ocib/dirs:1" ||
  { cat "$T/dirs.err" >&2; die "build on the registry base"; }
skopeo copy -q --src-tls-verify=false --dest-compress --dest-compress-format gzip \
  "docker://$REG/ocib/dirs:1" "oci:$T/dirs:1" || die "skopeo copy of the dirs image"
umoci unpack --image "$T/dirs:1" "$T/dirs-bundle" > /dev/null || die "umoci unpack"
R=$T/dirs-bundle/rootfs
check "/tmp stays 1777 0:0 ($(stat -c '%a %u:%g' "$R/tmp"))" test "$(stat -c '%a %u:%g' "$R/tmp")" = "1777 0:0"
check "/home/nonroot stays 700 65532:65532 ($(stat -c '%a %u:%g' "$R/home/nonroot"))" \
  test "$(stat -c '%a %u:%g' "$R/home/nonroot")" = "700 65532:65532"
check "the files are there" test "$(cat "$R/tmp/x" "$R/home/nonroot/sub/y")" = "$(printf 'x\ny')"
check "a new directory is 0755 root's ($(stat -c '%a %u:%g' "$R/tmp/sub"))" \
  test "$(stat -c '%a %u:%g' "$R/tmp/sub")" = "755 0:0"
check "an empty directory is created 0755" test "$(stat -c %a "$R/tmp/empty")" = 755

# A first build caches the base (documents and layers) locally.
run_ocib app0 build --base "$REG/ocib/base:1" "${BINS[@]}" --output "oci:$T/app0:1" ||
  { cat "$T/app0.err" >&2; die "the first build on the base failed"; }
# The base repository loses its link to the layer: a mount from it can no
# longer succeed, and distribution answers the mount POST with 202 and a
# fresh upload session instead.
curl -sf -X DELETE "$REG_URL/v2/ocib/base/blobs/$LAYER" -o /dev/null || die "deleting the base layer link"
check "the base repository no longer serves the layer" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -I "$REG_URL/v2/ocib/base/blobs/$LAYER")" = 404
before=$(reg_log_sync)
rc=0
run_ocib app build --base "$REG/ocib/base:1" "${BINS[@]}" --output "oci:$T/app:1" --tag "$REG/ocib/app:1" || rc=$?
[ "$rc" = 0 ] || cat "$T/app.err" >&2
check "build --output --tag succeeds although the mount is refused (exit $rc)" test "$rc" = 0
reg_log_since "$before" > "$T/app.log"
d=$LAYER
enc="sha256%3A${d#sha256:}"
check "ocib asked to mount the layer from ocib/base and got 202" \
  grep -Eq "\"POST /v2/ocib/app/blobs/uploads/\\?mount=($d|$enc)&from=ocib/base[^\"]*\" 202" "$T/app.log"
# Every upload session is either a plain POST or a mount answered 202; each
# is finished by one PUT. One PUT more than plain POSTs: the 202 session
# was used, not abandoned for a new one.
plain=$(grep -c '"POST /v2/ocib/app/blobs/uploads/ ' "$T/app.log" || true)
refused=$(grep -c '"POST /v2/ocib/app/blobs/uploads/?mount=[^"]*" 202' "$T/app.log" || true)
puts=$(grep -c '"PUT /v2/ocib/app/blobs/uploads/' "$T/app.log" || true)
check "each refused mount's session was used ($plain POSTs + $refused refused mounts = $puts PUTs)" \
  test "$((plain + refused))" = "$puts"
check "no upload session was cancelled" test "$(grep -c '"DELETE /v2/ocib/app/blobs/uploads/' "$T/app.log" || true)" = 0
check "the layer was completed with a PUT naming its digest" \
  grep -Eq "\"PUT /v2/ocib/app/blobs/uploads/[^ ]*digest=($d|$enc)[^ ]* HTTP/1.1\" 201" "$T/app.log"
check "the app repository serves the layer" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -I "$REG_URL/v2/ocib/app/blobs/$d")" = 200
skopeo copy --all -q --src-tls-verify=false "docker://$REG/ocib/app:1" "oci:$T/back:1" ||
  die "skopeo copy of the app"
check "skopeo's copy of the app validates" "$OCIB" validate "oci:$T/back"

# --- (b) the referrers fallback tag holds a manifest -----------------------
run_ocib sb build "${BINS[@]}" --output "oci:$T/sb:1" || { cat "$T/sb.err" >&2; die "build with an SBOM"; }
run_ocib push1 push "oci:$T/sb:1" "$REG/ocib/sb:1" || { cat "$T/push1.err" >&2; die "first push"; }
subject=$(tag_digest ocib/sb 1)
fallback=sha256-${subject#sha256:}
check "the first push wrote the fallback tag $fallback" test -n "$(tag_digest ocib/sb "$fallback")"
# Someone puts an image manifest (another image's) at the fallback tag.
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
  "docker://$REG/ocib/base:1" "docker://$REG/ocib/sb:$fallback" || die "occupying the fallback tag"
occupied=$(tag_digest ocib/sb "$fallback")
check "the fallback tag now holds the base's manifest" test "$occupied" = "$(tag_digest ocib/base 1)"
rc=0
run_ocib push2 push "oci:$T/sb:1" "$REG/ocib/sb:2" || rc=$?
check "a push that must update the occupied fallback tag fails with exit 1 (got $rc)" test "$rc" = 1
check "the message names the fallback tag" grep -q "$fallback" "$T/push2.err"
check "the message says what the tag holds" grep -qi 'manifest' "$T/push2.err"
check "the message names the way out" grep -q -- '--replace-referrers-tag' "$T/push2.err"
check "the occupied tag is left as it was" test "$(tag_digest ocib/sb "$fallback")" = "$occupied"
rc=0
run_ocib push3 push --replace-referrers-tag "oci:$T/sb:1" "$REG/ocib/sb:2" || rc=$?
[ "$rc" = 0 ] || cat "$T/push3.err" >&2
check "with --replace-referrers-tag the push succeeds (exit $rc)" test "$rc" = 0
replaced=$(get_manifest ocib/sb "$fallback")
check "the fallback tag now holds an image index" \
  test "$(jq -r .mediaType <<<"$replaced")" = application/vnd.oci.image.index.v1+json
check "which lists the SBOM" test "$(jq -r '.manifests[0].artifactType' <<<"$replaced")" = application/spdx+json
run_ocib refs referrers "$REG/ocib/sb@$subject" || cat "$T/refs.err" >&2
check "ocib referrers lists the SBOM again" grep -q 'spdx' "$T/refs.out"
finish
