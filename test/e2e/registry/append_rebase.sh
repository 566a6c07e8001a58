#!/usr/bin/env bash
# `ocib append` and `ocib rebase` against layouts and Debian's
# docker-registry, with skopeo as the oracle and runc for "still runs":
# append a .tar.gz, a .tar.zst and a directory (normalised: 0:0, one mtime,
# sorted; the same inputs give the same digest), per-platform layers,
# refusals before anything is written (../ entries, absolute paths,
# duplicates, whiteouts, a missing tag, a platform not in the index), base
# layers never downloaded registry to registry; rebase's property
# (build --base B1 then rebase --base B2 == build --base B2) on layouts and
# on the registry, with the old base from the annotations or --old-base,
# and a base that is not a prefix refused naming the platform; with --sbom,
# the SBOMs rebase attaches are those `build` attaches (same digests, read
# back through skopeo from the referrers tag), and append --sbom describes
# the new manifests.
source "$(dirname "$0")/lib.sh"
need skopeo jq go umoci runc python3 zstd

hello_binaries amd64 arm64
export SOURCE_DATE_EPOCH=1700000000
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
cd "$T"

reg_start http
raw() { skopeo inspect --raw --tls-verify=false "docker://$1"; }
run() {
  local name=$1; shift
  "$@" > "$T/$name.out" 2> "$T/$name.err" || { cat "$T/$name.err" >&2; die "$name: $* failed"; }
}
expect_exit() {
  local code=$1 name=$2; shift 2
  local rc=0
  "$@" > "$T/$name.out" 2> "$T/$name.err" || rc=$?
  check "$name exits $code (got $rc: $(head -c 300 "$T/$name.err"))" test "$rc" = "$code"
}
log_lines() { wc -l < "$REG_LOG"; }
digest_of() { sed 's/.*@//' "$T/$1.out"; }
build() { "$OCIB" build --binary "linux/amd64=$T/hello-amd64" --binary "linux/arm64=$T/hello-arm64" "$@"; }

# Layer inputs: a tree with odd owners, modes and times, as .tar.gz,
# .tar.zst and a directory.
mkdir -p "$T/tree/etc/app" "$T/tree/bin"
echo 'greeting=hi' > "$T/tree/etc/app/app.conf"
printf '#!/bin/sh\necho tool\n' > "$T/tree/bin/tool"
chmod 0750 "$T/tree/bin/tool"; chmod 0600 "$T/tree/etc/app/app.conf"
ln -s app/app.conf "$T/tree/etc/app.conf"
touch -d '2001-02-03' "$T/tree/etc/app/app.conf"
tar -C "$T/tree" --owner=1234 --group=99 -czf "$T/layer.tar.gz" .
tar -C "$T/tree" --owner=0 --group=0 -cf - . | zstd -q -o "$T/layer.tar.zst"

run b1 build --output "oci:$T/b1:base"
B1=$(digest_of b1)

# --- append to a layout: the layer is normalised.
run append-gz "$OCIB" append "oci:$T/b1:base" "oci:$T/b2:base" --layer "$T/layer.tar.gz" --compression gzip
B2=$(digest_of append-gz)
check "append prints oci:DIR:TAG@digest" test "$(cat "$T/append-gz.out")" = "oci:$T/b2:base@$B2"
cfg=$(skopeo inspect --config "oci:$T/b2:base" --override-arch arm64)
check "two layers plus one: diff_ids" test "$(jq '.rootfs.diff_ids|length' <<<"$cfg")" = 3
check "history entry for the layer" test "$(jq -r '.history[-1].created_by' <<<"$cfg")" = "ocib append: layer.tar.gz"
check "history created at SOURCE_DATE_EPOCH" test "$(jq -r '.history[-1].created' <<<"$cfg")" = "2023-11-14T22:13:20Z"
man=$(skopeo inspect --raw "oci:$T/b2:base" | jq -r '.manifests[0].digest')
blob=$(jq -r '.layers[-1].digest' "$T/b2/blobs/sha256/${man#sha256:}")
listing=$(tar -tvzf "$T/b2/blobs/sha256/${blob#sha256:}")
check "entries owned by 0/0" bash -c "! grep -v ' 0/0 ' <<<\"$listing\""
check "one mtime" test "$(awk '{print $4, $5}' <<<"$listing" | sort -u)" = "2023-11-14 22:13"
check "modes normalised (0755 tool, 0644 conf)" bash -c "grep -q '^-rwxr-xr-x .* bin/tool' <<<\"$listing\" && grep -q '^-rw-r--r-- .* etc/app/app.conf' <<<\"$listing\""
paths=$(awk '{print $6}' <<<"$listing" | sed 's|/$||')
check "entries sorted (bytewise, by path)" test "$paths" = "$(LC_ALL=C sort <<<"$paths")"
run append-zst "$OCIB" append "oci:$T/b1:base" "oci:$T/b2zst:base" --layer "$T/layer.tar.zst" --compression gzip
run append-dir "$OCIB" append "oci:$T/b1:base" "oci:$T/b2dir:base" --layer "$T/tree" --compression gzip
check ".tar.zst gives the layer .tar.gz gives (owners and times normalised)" test \
  "$(skopeo inspect --config "oci:$T/b2zst:base" | jq -c .rootfs)" = "$(skopeo inspect --config "oci:$T/b2:base" | jq -c .rootfs)"
check "a directory gives the same diff_id" test \
  "$(skopeo inspect --config "oci:$T/b2dir:base" | jq -r '.rootfs.diff_ids[-1]')" = "$(jq -r '.rootfs.diff_ids[-1]' <<<"$cfg")"
run append-again "$OCIB" append "oci:$T/b1:base" "oci:$T/b2again:base" --layer "$T/layer.tar.gz" --compression gzip
check "same inputs, same digest" test "$(digest_of append-again)" = "$B2"
# Flags before the positionals: --layer takes one value, SRC and DST stay.
run append-flags-first "$OCIB" append --layer "$T/layer.tar.gz" --compression gzip "oci:$T/b1:base" "oci:$T/b2first:base"
check "flags first: same digest" test "$(digest_of append-flags-first)" = "$B2"
run append-one "$OCIB" append "oci:$T/b1:base" "oci:$T/b2one:base" --layer "linux/arm64=$T/layer.tar.gz"
check "a PLATFORM= layer goes to that platform only" test \
  "$(skopeo inspect --config "oci:$T/b2one:base" --override-arch amd64 | jq '.rootfs.diff_ids|length'),$(skopeo inspect --config "oci:$T/b2one:base" --override-arch arm64 | jq '.rootfs.diff_ids|length')" = "2,3"

# --- bad input: refused, nothing written.
python3 - "$T" <<'PY'
import io, sys, tarfile
t = sys.argv[1]
def make(name, entries):
    with tarfile.open(f"{t}/{name}", "w") as tf:
        for path, data in entries:
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
make("dotdot.tar", [("ok", b"1"), ("../escape", b"2")])
make("abs.tar", [("/etc/passwd", b"x")])
make("dup.tar", [("a", b"1"), ("a", b"2")])
make("wh.tar", [("etc/.wh.passwd", b"")])
PY
for bad in dotdot abs dup wh; do
  expect_exit 2 "append-$bad" "$OCIB" append "oci:$T/b1:base" "oci:$T/bad:x" --layer "$T/$bad.tar"
done
check "../ is named" grep -q '"../escape" has a ".." component' "$T/append-dotdot.err"
check "duplicates are named" grep -q 'two entries at /a' "$T/append-dup.err"
check "nothing was written for bad input" test ! -e "$T/bad"
run append-wh "$OCIB" append "oci:$T/b1:base" "oci:$T/wh:x" --layer "$T/wh.tar" --keep-whiteouts
expect_exit 4 append-missing-tag "$OCIB" append "oci:$T/b1:nope" "oci:$T/bad:x" --layer "$T/layer.tar.gz"
expect_exit 4 append-platform "$OCIB" append "oci:$T/b1:base" "oci:$T/bad:x" --layer "linux/s390x=$T/layer.tar.gz"
check "the missing platform is named" grep -q 'linux/s390x' "$T/append-platform.err"
check "still nothing written" test ! -e "$T/bad"

# --- append registry to registry: base layers not downloaded; runs.
run push-b1 "$OCIB" push "oci:$T/b1:base" "$REG/e2e/base:1"
before=$(log_lines)
run append-reg "$OCIB" append "$REG/e2e/base:1" "$REG/e2e/base:2" --layer "$T/layer.tar.gz" --compression gzip
check "registry result = layout result" test "$(digest_of append-reg)" = "$B2"
check "skopeo: the registry has it" test "sha256:$(raw "$REG/e2e/base:2" | sha256sum | cut -d' ' -f1)" = "$B2"
check "no layer blob was downloaded" test "$(tail -n +"$((before + 1))" "$REG_LOG" | grep -c '"GET /v2/[^ ]*/blobs/' || true)" = 2
mkdir -p "$T/skopeo-tmp"
# (umoci reads gzip layers only: skopeo recompresses, with a private tmpdir.)
skopeo --tmpdir "$T/skopeo-tmp" --override-arch amd64 copy --quiet --src-tls-verify=false \
  --dest-compress --dest-compress-format gzip "docker://$REG/e2e/base:2" "oci:$T/gz:img" 2> "$T/skopeo.err" || { cat "$T/skopeo.err"; die "skopeo copy"; }
umoci unpack --image "$T/gz:img" "$T/bundle" > /dev/null 2> "$T/umoci.err" || { cat "$T/umoci.err"; die "umoci unpack"; }
check "the appended file is in the rootfs" grep -q greeting=hi "$T/bundle/rootfs/etc/app/app.conf"
jq '.process.terminal=false' "$T/bundle/config.json" > "$T/bundle/c.json" && mv "$T/bundle/c.json" "$T/bundle/config.json"
out=$(cd "$T/bundle" && timeout 60 runc run "ocib-append-$$" 2>&1) || true
runc delete -f "ocib-append-$$" > /dev/null 2>&1 || true
check "runc runs the appended image ($out)" grep -q 'hello from linux/amd64' <<<"$out"

# --- rebase on layouts: the property, with the old base from the annotations.
echo 'v=1' > "$T/app.conf"
app() { build --base "oci:$T/$1:base" --base-name "oci:$T/$1:base" --file "$T/app.conf:/etc/app.conf" --cmd serve --output "oci:$T/$2:app"; }
run app1 app b1 app1
run app2 app b2 app2
check "the two builds differ" test "$(digest_of app1)" != "$(digest_of app2)"
run rebase "$OCIB" rebase "oci:$T/app1:app" "oci:$T/rebased:app" --base "oci:$T/b2:base"
check "rebase onto B2 = build on B2 (layouts)" test "$(digest_of rebase)" = "$(digest_of app2)"
run rebase-old "$OCIB" rebase "oci:$T/app1:app" "oci:$T/rebased2:app" --base "oci:$T/b2:base" --old-base "oci:$T/b1:base"
check "the same with --old-base" test "$(digest_of rebase-old)" = "$(digest_of app2)"
run rebase-back "$OCIB" rebase "oci:$T/app2:app" "oci:$T/back:app" --base "oci:$T/b1:base"
check "and back: rebase onto B1 = build on B1" test "$(digest_of rebase-back)" = "$(digest_of app1)"
expect_exit 2 rebase-not-prefix "$OCIB" rebase "oci:$T/app1:app" "oci:$T/bad:x" --base "oci:$T/b2:base" --old-base "oci:$T/b2one:base"
check "a base that is not a prefix names the platform" grep -q 'platform linux/arm64' "$T/rebase-not-prefix.err"
check "nothing written" test ! -e "$T/bad"
# With --sbom: the same SBOMs as the build on B2 attached (app1 and app2
# were built with the default --sbom spdx).
referrer_digests() { "$OCIB" referrers "$1" | jq -r .digest | sort; }
run rebase-sbom "$OCIB" rebase "oci:$T/app1:app" "oci:$T/rebased-sbom:app" --base "oci:$T/b2:base" --sbom spdx
check "rebase --sbom: the image digest is unchanged" test "$(digest_of rebase-sbom)" = "$(digest_of app2)"
check "rebase --sbom: two SBOMs, those build made on B2" test "$(referrer_digests "oci:$T/rebased-sbom:app" | tr '\n' ' ')" = "$(referrer_digests "oci:$T/app2:app" | tr '\n' ' ')"
check "rebase --sbom: the SBOM of linux/arm64 is byte-identical" cmp -s <("$OCIB" sbom "oci:$T/rebased-sbom:app" --platform linux/arm64) <("$OCIB" sbom "oci:$T/app2:app" --platform linux/arm64)
check "rebase --sbom reports the SBOMs attached" test "$(grep -c 'SBOM sha256:.* attached to' "$T/rebase-sbom.err")" = 2
run rebase-sbom-again "$OCIB" rebase "oci:$T/app1:app" "oci:$T/rebased-sbom:app" --base "oci:$T/b2:base" --sbom spdx
check "rebase --sbom again: nothing written" grep -q 'already holds the result' "$T/rebase-sbom-again.err"

# --- rebase on the registry: build on REG/B1, rebase onto REG/B2.
run push-b2 "$OCIB" push "oci:$T/b2:base" "$REG/e2e/base:2b"
run rapp1 build --base "$REG/e2e/base:1" --file "$T/app.conf:/etc/app.conf" --cmd serve --tag "$REG/e2e/app:1"
run rapp2 build --base "$REG/e2e/base:2b" --file "$T/app.conf:/etc/app.conf" --cmd serve --tag "$REG/e2e/app:2"
layers_of() { for m in $(raw "$1" | jq -r '.manifests[].digest'); do raw "${1%:*}@$m" | jq -r '.layers[].digest'; done | sort -u; }
rlayers=$( (layers_of "$REG/e2e/app:1"; layers_of "$REG/e2e/base:2b") | sort -u)
before=$(log_lines)
run rebase-reg "$OCIB" rebase "$REG/e2e/app:1" "$REG/e2e/rebased:1" --base "$REG/e2e/base:2b"
check "rebase onto B2 = build on B2 (registry)" test "$(digest_of rebase-reg)" = "$(digest_of rapp2)"
check "skopeo: the rebased index is there" test "sha256:$(raw "$REG/e2e/rebased:1" | sha256sum | cut -d' ' -f1)" = "$(digest_of rapp2)"
check "no layer blob was downloaded" test "$(for l in $rlayers; do tail -n +"$((before + 1))" "$REG_LOG" | grep -c "\"GET /v2/[^ ]*/blobs/$l " || true; done | paste -sd+ | bc)" = 0
check "only the six configs were read (image, old base, new base)" test "$(tail -n +"$((before + 1))" "$REG_LOG" | grep -c '"GET /v2/[^ ]*/blobs/' || true)" = 6
check "stderr says the SBOMs were not carried" grep -q 'referrer(s).*not carried' "$T/rebase-reg.err"
# With --sbom on the registry: the referrers fallback tag (read by skopeo)
# lists the SBOM build attached on B2, for each platform.
run rebase-reg-sbom "$OCIB" rebase "$REG/e2e/app:1" "$REG/e2e/rebased-sbom:1" --base "$REG/e2e/base:2b" --sbom spdx
check "rebase --sbom onto B2 = build on B2 (registry)" test "$(digest_of rebase-reg-sbom)" = "$(digest_of rapp2)"
for m in $(raw "$REG/e2e/app:2" | jq -r '.manifests[].digest'); do
  want=$(raw "$REG/e2e/app:sha256-${m#sha256:}" | jq -r '.manifests[].digest' | sort | tr '\n' ' ')
  got=$(raw "$REG/e2e/rebased-sbom:sha256-${m#sha256:}" | jq -r '.manifests[].digest' | sort | tr '\n' ' ')
  check "skopeo: the referrers of $m are build's ($want)" test -n "$want" -a "$got" = "$want"
done
# append --sbom: the appended image's SBOM describes its new manifest.
run append-sbom "$OCIB" append "$REG/e2e/app:2" "$REG/e2e/appended:1" --layer "$T/layer.tar.gz" --sbom cyclonedx
man=$(raw "$REG/e2e/appended:1" | jq -r '.manifests[] | select(.platform.architecture=="amd64").digest')
"$OCIB" sbom "$REG/e2e/appended:1" --platform linux/amd64 > "$T/appended-sbom.json" 2> "$T/appended-sbom.err" || { cat "$T/appended-sbom.err"; die "ocib sbom of the appended image"; }
check "append --sbom: a CycloneDX SBOM of the new amd64 manifest" test "$(jq -r .bomFormat "$T/appended-sbom.json")" = CycloneDX -a -n "$man"
check "append --sbom: it names the new manifest" grep -q "${man#sha256:}" "$T/appended-sbom.json"
finish
