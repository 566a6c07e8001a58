#!/usr/bin/env bash
# Independent checks of what `ocib build` writes: the image-spec JSON schemas
# (python3-jsonschema), skopeo (reads, copies and verifies digests), umoci
# (unpacks each platform), the binaries themselves (amd64 natively, arm64 and
# arm/v7 through qemu-user-static) and runc (runs the image as root).
source "$(dirname "$0")/lib.sh"
need go jq skopeo umoci runc qemu-aarch64-static qemu-arm-static zstd /usr/bin/python3

for p in linux/amd64 linux/arm64 linux/arm/v7; do go_build "$p" "$T/hello-${p//\//-}"; done
mkdir -p "$T/static/www" && echo '<h1>hi</h1>' > "$T/static/www/index.html" && echo 'k=v' > "$T/static/app.conf"

"$OCIB" build --binary linux/amd64="$T/hello-linux-amd64" --binary linux/arm64="$T/hello-linux-arm64" \
  --binary linux/arm/v7="$T/hello-linux-arm-v7" --file "$T/static:/srv" --output "oci:$T/out:v1" \
  >"$T/stdout" 2>"$T/stderr" || { cat "$T/stderr"; die "ocib build failed"; }
digest=$(cat "$T/stdout")
expect_eq "stdout is exactly one line" "$(wc -l < "$T/stdout")" 1
expect_eq "stdout digest is the tagged index" "$digest" "$(tagged "$T/out" v1)"
check "stderr reports shared and per-platform bytes" grep -q 'shared .* per-platform' "$T/stderr"

# 1. JSON schemas.
check "every document validates against the image-spec v1.1.1 schemas" \
  /usr/bin/python3 "$OCIB_SOURCE_DIR/test/e2e/validate_schemas.py" "$OCIB_SOURCE_DIR/fixtures/schemas/image-spec" "$T/out"
check "ocib validate passes" "$OCIB" validate "oci:$T/out"

# 2. skopeo reads and copies it, verifying every digest.
raw_digest="sha256:$(skopeo inspect --raw "oci:$T/out:v1" | sha256sum | cut -d' ' -f1)"
expect_eq "skopeo inspect --raw gives the bytes of the digest" "$raw_digest" "$digest"
check "skopeo copy --all copies it" skopeo copy --quiet --all "oci:$T/out:v1" "oci:$T/copy:v1"
expect_eq "the copy has the same index digest" "$(tagged "$T/copy" v1)" "$digest"

# 3. Each platform: gzip copy with skopeo, unpack with umoci, run the binary.
for arch in amd64 arm64 arm; do
  skopeo copy --quiet --override-arch "$arch" --dest-compress --dest-compress-format gzip \
    "oci:$T/out:v1" "oci:$T/gz-$arch:img" 2>"$T/err" || { cat "$T/err"; fail "skopeo copy $arch"; continue; }
  umoci unpack --image "$T/gz-$arch:img" "$T/bundle-$arch" >/dev/null 2>"$T/err" || { cat "$T/err"; fail "umoci unpack $arch"; continue; }
  pass "umoci unpacks linux/$arch"
  case $arch in
    amd64) out=$("$T/bundle-$arch/rootfs/app") ; want="hello from linux/amd64" ;;
    arm64) out=$(qemu-aarch64-static "$T/bundle-$arch/rootfs/app") ; want="hello from linux/arm64" ;;
    arm) out=$(qemu-arm-static "$T/bundle-$arch/rootfs/app") ; want="hello from linux/arm/v7" ;;
  esac
  check "the linux/$arch binary runs and prints its platform ($out)" grep -q "^$want " <<<"$out"
  check "the shared files are in the linux/$arch rootfs" grep -q hi "$T/bundle-$arch/rootfs/srv/www/index.html"
done
# The arm/v7 image says so in its config and index entry.
v7=$(jq -r '.manifests[]|select(.platform.architecture=="arm")|.platform.variant' "$(blob "$T/out" "$digest")")
expect_eq "the arm index entry has variant v7" "$v7" "v7"

# 4. runc runs the amd64 image as root (the config's user is 65532).
b="$T/bundle-amd64"
jq '.process.terminal=false' "$b/config.json" > "$b/c.json" && mv "$b/c.json" "$b/config.json"
out=$(cd "$b" && timeout 60 runc run "ocib-e2e-$$" 2>&1) || true
runc delete -f "ocib-e2e-$$" >/dev/null 2>&1 || true
check "runc runs the image ($out)" grep -q '^hello from linux/amd64 uid=65532$' <<<"$out"

# 5. The shared layer: same digest on every platform, one blob.
shared=$(for arch in amd64 arm64 arm; do jq -r '.layers[1].digest' "$(blob "$T/out" "$(manifest_for "$T/out" "$digest" "$arch")")"; done | sort -u)
expect_eq "the shared layer has one digest on all platforms" "$(wc -l <<<"$shared")" 1
check "the shared layer blob exists once" test -f "$(blob "$T/out" "$shared")"
# base 1 + shared 1 + 3 binary layers + 3 configs + 3 manifests + 1 index,
# + 3 SBOMs, 3 SBOM artifact manifests and their one empty config
expect_eq "the layout stores each blob once" "$(find "$T/out/blobs/sha256" -type f | wc -l)" 19

# 6. Each platform has an SPDX SBOM attached as an OCI 1.1 referrer.
for arch in amd64 arm64 arm; do
  m=$(manifest_for "$T/out" "$digest" "$arch")
  art=$(jq -r --arg m "$m" '.manifests[]|select(.artifactType=="application/spdx+json")|.digest' "$T/out/index.json" |
        while read -r a; do if [ "$(jq -r .subject.digest "$(blob "$T/out" "$a")")" = "$m" ]; then echo "$a"; fi; done)
  check "linux/$arch has one SBOM referrer in index.json" test "$(wc -w <<<"$art")" = 1
  am=$(blob "$T/out" "$art")
  expect_eq "linux/$arch SBOM artifact uses the empty config" "$(jq -r .config.mediaType "$am")" "application/vnd.oci.empty.v1+json"
  "$OCIB" sbom "oci:$T/out:v1" --platform "linux/$arch" > "$T/sbom-$arch.json"
  check "linux/$arch SBOM validates against the SPDX 2.3 schema" /usr/bin/python3 -c '
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' \
    "$OCIB_SOURCE_DIR/fixtures/schemas/sbom/spdx-2.3/spdx-schema.json" "$T/sbom-$arch.json"
  bin="$T/hello-linux-$arch"; [ "$arch" = arm ] && bin="$T/hello-linux-arm-v7"
  gov=$(go version "$bin" | awk '{print $NF}')
  check "linux/$arch SBOM names the Go version ($gov) that go version reports" grep -q "$gov" "$T/sbom-$arch.json"
done
expect_eq "ocib referrers lists the three SBOMs" "$("$OCIB" referrers "oci:$T/out:v1" | grep -c spdx)" 3
finish
