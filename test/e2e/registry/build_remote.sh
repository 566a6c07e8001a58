#!/usr/bin/env bash
# `ocib build --base REF --tag REF`: the base comes from a registry (pulled
# into the cache, verified), the result is pushed to every --tag, and base
# layers are mounted from the base repository instead of uploaded.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3
export XDG_CACHE_HOME=$T/cache
reg_start http
BASE=$T/base
make_image "$BASE" v1 --seed base > /dev/null
"$OCIB" push "oci:$BASE:v1" "$REG/ocib/base:1" > /dev/null 2>&1
BIN=$(type -P true)
before=$(reg_log_sync)
set +e
"$OCIB" build --base "$REG/ocib/base:1" --binary-unchecked --binary "linux/amd64=$BIN" --binary "linux/arm64=$BIN" \
  --output "oci:$T/out:v1" --tag "$REG/ocib/app:1" --tag "$REG/ocib/app:latest" > "$T/build.out" 2> "$T/build.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/build.err"; die "build --base REF --tag REF failed ($rc)"; }
want=$(layout_digest "$T/out" v1)
check "build printed the digest" grep -q "$want" "$T/build.out"
for t in 1 latest; do
  raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/ocib/app:$t")
  check "--tag $t holds the built index" test "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$want"
done
log=$(reg_log_since "$before")
check "base layers were mounted from ocib/base" grep -q '"POST /v2/ocib/app/blobs/uploads/?mount=.*from=ocib/base.*" 201' <<<"$log"
shared=$(jq -r '.manifests[0].digest' "$BASE/blobs/sha256/$(layout_digest "$BASE" v1 | cut -d: -f2)")
shared_layer=$(jq -r '.layers[0].digest' "$BASE/blobs/sha256/${shared#sha256:}")
check "the shared base layer is in the built image" \
  bash -c "jq -r '.manifests[0].digest' '$T/out/blobs/sha256/${want#sha256:}' | xargs -I{} sh -c 'jq -r .layers[].digest $T/out/blobs/sha256/\$(echo {} | cut -d: -f2)' | grep -q '$shared_layer'"
check "the base layer bytes were not uploaded again" \
  bash -c "! grep -q 'PUT /v2/ocib/app/blobs/uploads/.*digest=${shared_layer/:/%3A}' <<<'$log'"
skopeo copy --all -q --src-tls-verify=false "docker://$REG/ocib/app:1" "oci:$T/back:b" > /dev/null
m=$(jq -r '.manifests[0].digest' "$T/back/blobs/sha256/${want#sha256:}")
bn=$(jq -r '.annotations["org.opencontainers.image.base.name"] // ""' "$T/back/blobs/sha256/${m#sha256:}")
check "the manifest names its registry base ($bn)" test "$bn" = "$REG/ocib/base:1"
check "skopeo copy --all reads the built image back" test "$(layout_digest "$T/back" b)" = "$want"

set +e
"$OCIB" build --base "$REG/ocib/missing:1" --binary "linux/amd64=$BIN" --output "oci:$T/out2:v1" > /dev/null 2> "$T/missing.err"
rc=$?
set -e
check "a missing registry base exits 4" test "$rc" = 4
check "and nothing was built" test ! -e "$T/out2"
finish
