#!/usr/bin/env bash
# docker-archive and oci-archive with independent oracles:
#   1. `ocib build --output docker-archive:` writes a `docker save` tarball
#      that skopeo inspects, `podman load` loads and `podman run` runs
#      (Debian's podman, vfs storage under $T); a second build gives the
#      same bytes; a two-platform build into a docker archive is refused.
#   2. `ocib copy oci:... docker-archive:... --platform` picks one platform;
#      without --platform the error names the platforms.
#   3. A docker archive written by `skopeo copy ... docker-archive:` is
#      pushed by ocib to docker-registry, pulled back into a layout,
#      unpacked with umoci and run with runc.
#   4. oci-archive read in place: build -> oci-archive -> inspect, validate,
#      digest, sbom, referrers, push; skopeo reads the pushed image.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3 go
reg_start http
hello_binaries amd64 arm64
export SOURCE_DATE_EPOCH=1700000000
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
SK=(skopeo --tmpdir "$T/skopeo-tmp" --override-arch amd64 --override-os linux)
mkdir -p "$T/skopeo-tmp"
cd "$T"

# 1. build --output docker-archive:
"$OCIB" build -q --binary "linux/amd64=$T/hello-amd64" --output "docker-archive:$T/app.tar:ocib.test/hello:v1" \
  > "$T/b1.out" 2> "$T/b1.err" || { cat "$T/b1.err"; die "build into a docker archive failed"; }
check "build prints a digest" grep -Eqx 'sha256:[0-9a-f]{64}' "$T/b1.out"
check "manifest.json has Config, RepoTags, Layers" \
  test "$(tar -xOf "$T/app.tar" manifest.json | jq -r '.[0] | [.Config, .RepoTags[0], (.Layers|length>0)] | join(" ")')" \
  = "$(tar -xOf "$T/app.tar" manifest.json | jq -r '.[0].Config') ocib.test/hello:v1 true"
# Every layer is an uncompressed tar whose sha256 is its diff_id.
cfg=$(tar -xOf "$T/app.tar" manifest.json | jq -r '.[0].Config')
mapfile -t layers < <(tar -xOf "$T/app.tar" manifest.json | jq -r '.[0].Layers[]')
mapfile -t diffs < <(tar -xOf "$T/app.tar" "$cfg" | jq -r '.rootfs.diff_ids[]')
ok=1
for i in "${!layers[@]}"; do
  [ "sha256:$(tar -xOf "$T/app.tar" "${layers[$i]}" | sha256sum | cut -d' ' -f1)" = "${diffs[$i]}" ] || ok=0
  tar -xOf "$T/app.tar" "${layers[$i]}" | tar -t > /dev/null || ok=0
done
check "layers are plain tars matching the config's diff_ids" test "$ok" = 1
cp "$T/app.tar" "$T/app-first.tar"
"$OCIB" build -q --binary "linux/amd64=$T/hello-amd64" --output "docker-archive:$T/app.tar:ocib.test/hello:v1" > /dev/null 2>&1
check "a second build writes the same bytes" cmp -s "$T/app.tar" "$T/app-first.tar"
check "skopeo inspects the docker archive" \
  sh -c "\"\$@\" inspect docker-archive:$T/app.tar | jq -e '.Architecture==\"amd64\"' > /dev/null" _ "${SK[@]}"
set +e
"$OCIB" build -q --binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64" \
  --output "docker-archive:$T/two.tar" > /dev/null 2> "$T/two.err"
rc=$?
set -e
check "a two-platform build into a docker archive exits 2" test "$rc" = 2
check "... saying one platform" grep -q "holds one platform" "$T/two.err"
check "... and writes nothing" test ! -e "$T/two.tar"

# podman load / run (Debian's podman, private vfs storage).
if command -v podman > /dev/null; then
  # podman wants a runroot shorter than 50 characters.
  P=$(mktemp -d /tmp/ocib-pm.XXXXXX)
  PM=(env -u REGISTRY_AUTH_FILE -u DOCKER_CONFIG podman --storage-driver vfs --root "$P/storage" --runroot "$P/run" --tmpdir "$P/tmp")
  mkdir -p "$P/tmp"
  if "${PM[@]}" load -i "$T/app.tar" > "$T/load.out" 2> "$T/load.err"; then
    pass "podman load accepts the archive"
    check "podman sees ocib.test/hello:v1" \
      sh -c "\"\$@\" image inspect ocib.test/hello:v1 | jq -e '.[0].Architecture==\"amd64\"' > /dev/null" _ "${PM[@]}"
    if "${PM[@]}" run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
         ocib.test/hello:v1 > "$T/run.out" 2> "$T/run.err"; then
      check "podman run prints the program's output" grep -q "hello from linux/amd64" "$T/run.out"
    else
      tail -5 "$T/run.err" >&2; fail "podman run"
    fi
  else
    cat "$T/load.err" >&2; fail "podman load"
  fi
  "${PM[@]}" rmi -a -f > /dev/null 2>&1 || true
  rm -rf "$P" 2> /dev/null || true
else
  # .ci/deps installs podman: its absence is a failure, not a skip.
  fail "podman is not installed (bash .ci/deps installs it): podman load/run not checked"
fi

# 2. copy a two-platform layout into a docker archive.
"$OCIB" build -q --binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64" \
  --output "oci:$T/multi:v1" > /dev/null 2>&1 || die "multi-platform build failed"
set +e
"$OCIB" copy "oci:$T/multi:v1" "docker-archive:$T/m.tar" > /dev/null 2> "$T/m.err"
rc=$?
set -e
check "copy of two platforms without --platform exits 2" test "$rc" = 2
check "... naming both platforms" grep -q "linux/amd64, linux/arm64" "$T/m.err"
"$OCIB" copy --platform linux/arm64 "oci:$T/multi:v1" "docker-archive:$T/m.tar:multi:arm" > /dev/null 2> "$T/m2.err" \
  || { cat "$T/m2.err"; fail "copy --platform linux/arm64"; }
check "skopeo sees the arm64 image" \
  sh -c "skopeo --tmpdir '$T/skopeo-tmp' inspect docker-archive:$T/m.tar | jq -e '.Architecture==\"arm64\"' > /dev/null"
check "RepoTags is the normalised name" test "$(tar -xOf "$T/m.tar" manifest.json | jq -r '.[0].RepoTags[0]')" = "docker.io/library/multi:arm"

# 3. skopeo writes a docker archive; ocib pushes it; pull; runc.
# skopeo cannot put zstd layers in a docker archive: give it a gzip image.
"$OCIB" build -q --compression gzip --binary "linux/amd64=$T/hello-amd64" --output "oci:$T/gz:v1" > /dev/null 2>&1 \
  || die "gzip build failed"
"${SK[@]}" copy -q "oci:$T/gz:v1" "docker-archive:$T/skopeo.tar:sk/hello:v1" 2> "$T/sk.err" || { cat "$T/sk.err"; die "skopeo copy to docker-archive failed"; }
out=$("$OCIB" push -q "docker-archive:$T/skopeo.tar" "$REG/ocib/from-docker:v1" 2> "$T/push.err") || { cat "$T/push.err"; fail "ocib push docker-archive"; }
check "push prints REF@sha256" grep -Eqx "$REG/ocib/from-docker:v1@sha256:[0-9a-f]{64}" <<< "$out"
check "skopeo inspects the pushed image" \
  sh -c "skopeo --tmpdir '$T/skopeo-tmp' inspect --tls-verify=false docker://$REG/ocib/from-docker:v1 | jq -e '.Layers|length>0' > /dev/null"
"$OCIB" pull -q "$REG/ocib/from-docker:v1" "oci:$T/pulled:v1" > /dev/null 2> "$T/pull.err" || { cat "$T/pull.err"; fail "pull"; }
check "the pulled layout validates" "$OCIB" validate "oci:$T/pulled"
if command -v umoci > /dev/null && command -v runc > /dev/null; then
  b=$T/bundle
  if umoci unpack --image "$T/pulled:v1" "$b" > /dev/null 2> "$T/umoci.err"; then
    jq '.process.terminal=false' "$b/config.json" > "$b/c.json" && mv "$b/c.json" "$b/config.json"
    out=$(cd "$b" && timeout 60 runc run "ocib-archives-$$" 2>&1) || true
    runc delete -f "ocib-archives-$$" > /dev/null 2>&1 || true
    check "the pushed docker archive runs after a pull ($out)" grep -q "hello from linux/amd64" <<< "$out"
  else
    cat "$T/umoci.err" >&2; fail "umoci unpack of the pulled image"
  fi
else
  # .ci/deps installs both: their absence is a failure, not a skip.
  fail "umoci or runc is not installed (bash .ci/deps installs them): the run check did not run"
fi
check "docker archive validates" "$OCIB" validate "docker-archive:$T/skopeo.tar"
check "inspect reads a docker archive" sh -c "\"$OCIB\" inspect docker-archive:$T/skopeo.tar:sk/hello:v1 | head -1 | jq -e '.layers|length>0' > /dev/null"

# 4. oci-archive read in place.
"$OCIB" build -q --binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64" \
  --output "oci-archive:$T/img.tar:v3" > "$T/b4.out" 2>&1 || die "build into an oci-archive failed"
want=$(head -1 "$T/b4.out")
check "inspect oci-archive prints the index" \
  sh -c "\"$OCIB\" inspect oci-archive:$T/img.tar:v3 | head -1 | jq -e '.manifests|length==2' > /dev/null"
check "digest oci-archive is the build's digest" test "$("$OCIB" digest "oci-archive:$T/img.tar:v3")" = "$want"
check "validate oci-archive" "$OCIB" validate "oci-archive:$T/img.tar"
check "sbom oci-archive" sh -c "\"$OCIB\" sbom --platform linux/arm64 oci-archive:$T/img.tar:v3 | jq -e '.spdxVersion' > /dev/null"
check "referrers oci-archive lists two SBOMs" test "$("$OCIB" referrers "oci-archive:$T/img.tar:v3" | wc -l)" = 2
check "nothing was unpacked beside the archive" test "$(ls "$T" | grep -c '^img.tar')" = 1
out=$("$OCIB" push -q "oci-archive:$T/img.tar:v3" "$REG/ocib/from-oci-archive:v3" 2> "$T/push4.err") || { cat "$T/push4.err"; fail "push oci-archive"; }
check "push oci-archive keeps the digest" test "${out##*@}" = "$want"
check "skopeo reads the pushed index" \
  sh -c "skopeo --tmpdir '$T/skopeo-tmp' inspect --raw --tls-verify=false docker://$REG/ocib/from-oci-archive:v3 | jq -e '.manifests|length>=2' > /dev/null"
"$OCIB" copy "oci-archive:$T/img.tar" "oci:$T/unpacked" > /dev/null 2> "$T/c4.err" || { cat "$T/c4.err"; fail "copy oci-archive to a layout"; }
check "a copy without tags on either side is tagged latest" test "$(layout_digest "$T/unpacked" latest)" = "$want"
set +e
"$OCIB" inspect "oci:$T/multi" > /dev/null 2> "$T/amb.err"; rc1=$?
"$OCIB" build -q --binary "linux/amd64=$T/hello-amd64" --output "oci:$T/multi:v2" > /dev/null 2>&1
"$OCIB" inspect "oci:$T/multi" > /dev/null 2> "$T/amb.err"; rc=$?
set -e
check "a layout with one tag needs none" test "$rc1" = 0
check "an ambiguous layout exits 2" test "$rc" = 2
check "... listing its tags" grep -q "v1, v2" "$T/amb.err"
finish
