#!/usr/bin/env bash
# The library example test/examples/append_env, built against the installed
# package (the install_to_prefix test's prefix), run against docker-registry:
# the pushed image has the new layer and MODE=prod on every platform, and no
# base layer was downloaded (skopeo as the oracle).
source "$(dirname "$0")/lib.sh"
need skopeo jq go cmake
PREFIX=$OCIB_BINARY_DIR/test/prefix
[ -f "$PREFIX/lib/cmake/ocib/ocibConfig.cmake" ] || [ -n "$(ls "$PREFIX"/lib*/cmake/ocib/ocibConfig.cmake 2>/dev/null)" ] || {
  echo "SKIP: no install prefix at $PREFIX (run the install_to_prefix test first)"; exit 77; }

hello_binaries amd64 arm64
export SOURCE_DATE_EPOCH=1700000000
cd "$T"
cmake -S "$OCIB_SOURCE_DIR/test/examples/append_env" -B "$T/example" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_BUILD_TYPE=Release > "$T/cmake.log" 2>&1 || { cat "$T/cmake.log"; die "configure the example"; }
nice cmake --build "$T/example" -j2 > "$T/make.log" 2>&1 || { cat "$T/make.log"; die "build the example"; }

reg_start http
raw() { skopeo inspect --raw --tls-verify=false "docker://$1"; }
"$OCIB" build --binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64" \
  --tag "$REG/ex/app:1" > "$T/build.out" 2> "$T/build.err" || { cat "$T/build.err"; die "build"; }
layers=$(for m in $(raw "$REG/ex/app:1" | jq -r '.manifests[].digest'); do raw "$REG/ex/app@$m" | jq -r '.layers[].digest'; done | sort -u)
before=$(wc -l < "$REG_LOG")
"$T/example/append_env" "$REG/ex/app:1" "$REG/ex/app:prod" "$REG" > "$T/example.out" 2> "$T/example.err" || {
  cat "$T/example.err"; die "the example failed"; }
new=$(sed 's/.*@//' "$T/example.out")
check "the example prints REF@digest" test "$(cat "$T/example.out")" = "$REG/ex/app:prod@$new"
check "skopeo: the registry has that digest" test "sha256:$(raw "$REG/ex/app:prod" | sha256sum | cut -d' ' -f1)" = "$new"
for arch in amd64 arm64; do
  cfg=$(skopeo --override-arch $arch inspect --config --tls-verify=false "docker://$REG/ex/app:prod")
  check "$arch: MODE=prod" test "$(jq '.config.Env | index("MODE=prod") != null' <<<"$cfg")" = true
  check "$arch: one more layer" test "$(jq '.rootfs.diff_ids | length' <<<"$cfg")" = 3
done
check "no base layer was downloaded" test "$(for l in $layers; do tail -n +"$((before + 1))" "$REG_LOG" | grep -c "\"GET /v2/[^ ]*/blobs/$l " || true; done | paste -sd+ | bc)" = 0
finish
