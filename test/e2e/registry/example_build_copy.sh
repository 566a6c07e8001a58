#!/usr/bin/env bash
# The library examples test/examples/build_layout (a) and copy_progress (c),
# built against the installed package (the install_to_prefix test's
# prefix): (a) gives the digest `ocib build` gives for the same inputs, and
# a layout skopeo reads; (c) copies it into docker-registry with its SBOMs
# (skopeo reads the image and the referrers tag), reporting every blob and
# reaching 100%, then into another repository by mounting each blob.
source "$(dirname "$0")/lib.sh"
need skopeo jq go cmake
PREFIX=$OCIB_BINARY_DIR/test/prefix
[ -f "$PREFIX/lib/cmake/ocib/ocibConfig.cmake" ] || [ -n "$(ls "$PREFIX"/lib*/cmake/ocib/ocibConfig.cmake 2>/dev/null)" ] || {
  echo "SKIP: no install prefix at $PREFIX (run the install_to_prefix test first)"; exit 77; }

hello_binaries amd64 arm64
cd "$T"
for ex in build_layout copy_progress; do
  cmake -S "$OCIB_SOURCE_DIR/test/examples/$ex" -B "$T/$ex" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_BUILD_TYPE=Release > "$T/cmake-$ex.log" 2>&1 || { cat "$T/cmake-$ex.log"; die "configure $ex"; }
  nice cmake --build "$T/$ex" -j2 > "$T/make-$ex.log" 2>&1 || { cat "$T/make-$ex.log"; die "build $ex"; }
done

# (a) build_layout, and the CLI on the same inputs.
echo 'level=3' > "$T/app.conf"
"$T/build_layout/build_layout" "$T/hello-amd64" "$T/hello-arm64" "$T/app.conf" "$T/lib-layout" \
  > "$T/a.out" 2> "$T/a.err" || { cat "$T/a.err"; die "build_layout failed"; }
SOURCE_DATE_EPOCH=1700000000 "$OCIB" build --binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64" \
  --file "$T/app.conf:/etc/app/app.conf" --env APP_CONFIG=/etc/app/app.conf --output "oci:$T/cli-layout:v1" \
  > "$T/cli.out" 2> "$T/cli.err" || { cat "$T/cli.err"; die "ocib build failed"; }
index=$(head -1 "$T/a.out")
check "(a) prints the index and two platform manifests" test "$(grep -c . "$T/a.out")" = 3
check "(a) gives the digest ocib build gives for the same inputs" test "$index" = "$(sed 's/.*@//' "$T/cli.out")"
check "skopeo: (a)'s layout holds that index" test "sha256:$(skopeo inspect --raw "oci:$T/lib-layout:v1" | sha256sum | cut -d' ' -f1)" = "$index"
for arch in amd64 arm64; do
  cfg=$(skopeo inspect --config --override-arch "$arch" "oci:$T/lib-layout:v1")
  check "skopeo: linux/$arch has APP_CONFIG" test "$(jq '.config.Env | index("APP_CONFIG=/etc/app/app.conf") != null' <<<"$cfg")" = true
done

# (c) copy_progress: layout -> registry -> another repository.
reg_start http
raw() { skopeo inspect --raw --tls-verify=false "docker://$1"; }
"$T/copy_progress/copy_progress" "oci:$T/lib-layout:v1" "$REG/ex/app:v1" "$REG" > "$T/c.out" 2> "$T/c.err" \
  || { cat "$T/c.err"; die "copy_progress to the registry failed"; }
check "(c) prints the root digest" test "$(cat "$T/c.out")" = "$index"
check "skopeo: the registry has it" test "sha256:$(raw "$REG/ex/app:v1" | sha256sum | cut -d' ' -f1)" = "$index"
check "(c) reports uploaded blobs" grep -q '^blob sha256:[0-9a-f]* [0-9]* uploaded$' "$T/c.err"
check "(c) reaches 100%" grep -qx 'progress 100%' "$T/c.err"
for m in $(raw "$REG/ex/app:v1" | jq -r '.manifests[].digest'); do
  check "skopeo: the SBOM of $m came along" test "$(raw "$REG/ex/app:sha256-${m#sha256:}" | jq -r '.manifests[0].artifactType')" = application/spdx+json
done
"$T/copy_progress/copy_progress" "$REG/ex/app:v1" "$REG/ex/copy:v1" "$REG" > "$T/c2.out" 2> "$T/c2.err" \
  || { cat "$T/c2.err"; die "copy_progress between repositories failed"; }
check "(c) registry to registry: the same digest" test "$(cat "$T/c2.out")" = "$index"
check "(c) registry to registry: blobs are mounted, none uploaded" \
  test "$(grep -c ' mounted$' "$T/c2.err")" -gt 0 -a "$(grep -c ' uploaded$' "$T/c2.err")" = 0
finish
