#!/usr/bin/env bash
# push and copy send nothing of an image that would not validate: a config
# with fewer diff_ids than layers, an index entry whose platform is not its
# config's, a manifest descriptor pointing at an index, an artifact with the
# empty config and no artifactType. Exit 2, the message names the problem,
# and the registry never sees a request for the repository. `ocib validate`
# reports the same problems.
source "$(dirname "$0")/lib.sh"
need docker-registry jq python3 curl sha256sum
reg_start http
L=$T/l
printf '#!/bin/sh\necho hi\n' > "$T/app"
"$OCIB" build -q --base scratch --binary-unchecked --binary linux/amd64="$T/app" --sbom none \
  --output "oci:$L:good" > "$T/good.digest" || die "build failed"
good=$(cat "$T/good.digest")
blob() { echo "$L/blobs/sha256/${1#sha256:}"; }
# put FILE: stores FILE as a blob, prints "sha256:HEX SIZE".
put() {
  local h; h=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$L/blobs/sha256/$h"
  echo "sha256:$h $(stat -c %s "$1")"
}
# tag MEDIATYPE DIGEST SIZE TAG [PLATFORM-JSON]: adds an index.json entry.
tag() {
  local entry
  entry=$(jq -cn --arg m "$1" --arg d "$2" --argjson s "$3" --arg t "$4" \
    '{mediaType:$m,digest:$d,size:$s,annotations:{"org.opencontainers.image.ref.name":$t}}')
  [ -n "${5:-}" ] && entry=$(jq -c --argjson p "$5" '. + {platform:$p}' <<<"$entry")
  jq -c --argjson e "$entry" '.manifests += [$e]' "$L/index.json" > "$T/index.json" && mv "$T/index.json" "$L/index.json"
}
MT=application/vnd.oci.image.manifest.v1+json
IT=application/vnd.oci.image.index.v1+json

# 1. A config with no diff_ids for the manifest's one layer.
cfg=$(jq -r .config.digest "$(blob "$good")")
jq -c '.rootfs.diff_ids = []' "$(blob "$cfg")" > "$T/cfg1"
read -r c1 s1 < <(put "$T/cfg1")
jq -c --arg d "$c1" --argjson s "$s1" '.config.digest = $d | .config.size = $s' "$(blob "$good")" > "$T/m1"
read -r m1 ms1 < <(put "$T/m1")
tag "$MT" "$m1" "$ms1" diffids

# 2. An index that says arm64 for the amd64 manifest.
jq -cn --arg d "$good" --argjson s "$(stat -c %s "$(blob "$good")")" --arg m "$MT" \
  '{schemaVersion:2,mediaType:"application/vnd.oci.image.index.v1+json",manifests:[{mediaType:$m,digest:$d,size:$s,platform:{architecture:"arm64",os:"linux",variant:"v8"}}]}' > "$T/i2"
read -r i2 is2 < <(put "$T/i2")
tag "$IT" "$i2" "$is2" platform

# 3. An index entry with the manifest media type that points at an index.
jq -cn --arg d "$i2" --argjson s "$is2" --arg m "$MT" \
  '{schemaVersion:2,mediaType:"application/vnd.oci.image.index.v1+json",manifests:[{mediaType:$m,digest:$d,size:$s}]}' > "$T/i3"
read -r i3 is3 < <(put "$T/i3")
tag "$IT" "$i3" "$is3" kind

# 4. An artifact: the empty config and no artifactType.
printf '{}' > "$T/empty"
read -r e es < <(put "$T/empty")
jq -cn --arg d "$e" --arg m "$MT" --argjson s "$es" \
  '{schemaVersion:2,mediaType:$m,config:{mediaType:"application/vnd.oci.empty.v1+json",digest:$d,size:$s},layers:[{mediaType:"application/vnd.oci.empty.v1+json",digest:$d,size:$s}]}' > "$T/a4"
read -r a4 as4 < <(put "$T/a4")
tag "$MT" "$a4" "$as4" artifact

# refused TAG REPO MESSAGE [walked]: ocib push exits 2 saying MESSAGE; the registry saw nothing for REPO.
refused() {
  local t=$1 repo=$2 msg=$3 rc
  set +e
  "$OCIB" push "oci:$L:$t" "$REG/$repo:1" > "$T/$t.out" 2> "$T/$t.err"
  rc=$?
  set -e
  check "push $t: exit 2 (got $rc)" test "$rc" = 2
  check "push $t: message says '$msg'" grep -qF -- "$msg" "$T/$t.err"
  [ "${4:-}" = walked ] || check "push $t: message says nothing was sent" grep -qF "nothing was sent" "$T/$t.err"
  check "push $t: the registry got no request for $repo" bash -c "! grep -q '/v2/$repo/' '$REG_LOG'"
  check "push $t: nothing on stdout" test ! -s "$T/$t.out"
}
refused diffids cdiff "1 layers but 0 diff_ids"
refused platform cplat "descriptor platform linux/arm64/v8 differs from config platform linux/amd64"
# (the walk that reads the image already refuses to parse an index as a manifest)
refused kind ckind "document is an index" walked
refused artifact cart "has no artifactType"

# copy from the layout is checked the same way.
set +e
"$OCIB" copy "oci:$L:diffids" "$REG/copydiff:1" > /dev/null 2> "$T/copy.err"
rc=$?
set -e
check "copy: exit 2 (got $rc)" test "$rc" = 2
check "copy: the registry got no request" bash -c "! grep -q '/v2/copydiff/' '$REG_LOG'"

# The good image still goes.
check "push good: succeeds" "$OCIB" push -q "oci:$L:good" "$REG/okay:1"

# validate reports the same problems.
set +e
"$OCIB" validate "oci:$L" > "$T/validate.out" 2>&1
rc=$?
set -e
check "validate: exit 6 (got $rc)" test "$rc" = 6
for msg in "1 layers but 0 diff_ids" "differs from config platform" "document is an index" "has no artifactType"; do
  check "validate: reports '$msg'" grep -qF -- "$msg" "$T/validate.out"
done
finish
