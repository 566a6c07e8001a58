#!/usr/bin/env bash
# `ocib build -f FILE`: two images from one build file, paths relative to the
# file, flags overriding the file's fields, and a bad file rejected before
# anything is written.
source "$(dirname "$0")/lib.sh"
need go jq skopeo sha256sum zstd tar

P=$T/proj
mkdir -p "$P/bin" "$P/conf" "$T/elsewhere"
go_build linux/amd64 "$P/bin/hello-amd64"
go_build linux/arm64 "$P/bin/hello-arm64"
echo data > "$P/conf/data.txt"
cat > "$P/ocib.json" <<'EOF'
{
  "images": [
    {
      "name": "web",
      "binaries": {"linux/amd64": "bin/hello-amd64", "linux/arm64": "bin/hello-arm64"},
      "binary_path": "/usr/local/bin/hello",
      "files": ["conf/data.txt:/etc/hello/data.txt"],
      "entrypoint": ["/usr/local/bin/hello", "serve"],
      "cmd": ["--port=8080"],
      "env": {"GREETING": "hi", "EXPR": "a=b"},
      "labels": {"tier": "web", "org.example.team": "build"},
      "annotations": {"org.example.note": "x"},
      "expose": ["8080", "53/udp"],
      "user": "1000:2000",
      "workdir": "/srv",
      "output": "oci:out/web:v1"
    },
    {
      "name": "batch",
      "binaries": {"linux/amd64": "bin/hello-amd64"},
      "env": {"MODE": "batch"},
      "labels": {"tier": "batch"},
      "compression": "gzip",
      "sbom": "none",
      "output": "oci:out/batch:v2"
    }
  ]
}
EOF

# config LAYOUT MANIFEST_DIGEST: path of the manifest's config blob.
config() { blob "$1" "$(jq -r .config.digest "$(blob "$1" "$2")")"; }

# 1. One command builds both images, from another directory, with a relative -f.
(cd "$T/elsewhere" && "$OCIB" build -q -f ../proj/ocib.json) > "$T/stdout"
expect_eq "stdout has one line per image" "$(wc -l < "$T/stdout")" 2
web=$(sed -n 1p "$T/stdout")
batch=$(sed -n 2p "$T/stdout")
expect_eq "line 1 is the digest tagged web:v1" "$web" "$(tagged "$P/out/web" v1)"
expect_eq "line 2 is the digest tagged batch:v2" "$batch" "$(tagged "$P/out/batch" v2)"
check "nothing was written relative to the current directory" test ! -e "$T/elsewhere/out"
check "ocib validate: web layout" "$OCIB" validate "oci:$P/out/web"
check "ocib validate: batch layout" "$OCIB" validate "oci:$P/out/batch"

expect_eq "web: two platforms give an index" "$(jq -r .mediaType "$(blob "$P/out/web" "$web")")" \
  application/vnd.oci.image.index.v1+json
expect_eq "web: index annotations" "$(jq -r '.annotations["org.example.note"]' "$(blob "$P/out/web" "$web")")" x
for arch in amd64 arm64; do
  m=$(manifest_for "$P/out/web" "$web" "$arch")
  c=$(config "$P/out/web" "$m")
  expect_eq "web/$arch architecture" "$(jq -r .architecture "$c")" "$arch"
  expect_eq "web/$arch entrypoint" "$(jq -c .config.Entrypoint "$c")" '["/usr/local/bin/hello","serve"]'
  expect_eq "web/$arch cmd" "$(jq -c .config.Cmd "$c")" '["--port=8080"]'
  expect_eq "web/$arch env in file order after the base's" "$(jq -c '.config.Env[2:]' "$c")" '["GREETING=hi","EXPR=a=b"]'
  expect_eq "web/$arch labels" "$(jq -c .config.Labels "$c")" '{"org.example.team":"build","tier":"web"}'
  expect_eq "web/$arch exposed ports" "$(jq -c '.config.ExposedPorts|keys' "$c")" '["53/udp","8080/tcp"]'
  expect_eq "web/$arch user" "$(jq -r .config.User "$c")" 1000:2000
  expect_eq "web/$arch workdir" "$(jq -r .config.WorkingDir "$c")" /srv
  expect_eq "web/$arch manifest annotation" "$(jq -r '.annotations["org.example.note"]' "$(blob "$P/out/web" "$m")")" x
done
# The shared layer holds conf/data.txt, found relative to the build file.
m=$(manifest_for "$P/out/web" "$web" amd64)
shared=$(jq -r '.layers[-2].digest' "$(blob "$P/out/web" "$m")")
expect_eq "web: the shared layer holds etc/hello/data.txt" \
  "$(zstd -dcq "$(blob "$P/out/web" "$shared")" | tar -xOf - etc/hello/data.txt)" data

expect_eq "batch: one platform gives a manifest" "$(jq -r .mediaType "$(blob "$P/out/batch" "$batch")")" \
  application/vnd.oci.image.manifest.v1+json
c=$(config "$P/out/batch" "$batch")
expect_eq "batch: env" "$(jq -c '.config.Env[2:]' "$c")" '["MODE=batch"]'
expect_eq "batch: labels" "$(jq -c .config.Labels "$c")" '{"tier":"batch"}'
expect_eq "batch: default entrypoint" "$(jq -c .config.Entrypoint "$c")" '["/app"]'
expect_eq "batch: gzip layers" "$(jq -r '[.layers[].mediaType]|unique|join(",")' "$(blob "$P/out/batch" "$batch")")" \
  application/vnd.oci.image.layer.v1.tar+gzip
expect_eq "batch: no SBOM referrer (sbom none)" "$(jq '.manifests|length' "$P/out/batch/index.json")" 1

# 2. skopeo reads both layouts and sees the bytes of the printed digests.
expect_eq "skopeo inspect --raw: web" \
  "sha256:$(skopeo inspect --raw "oci:$P/out/web:v1" | sha256sum | cut -d' ' -f1)" "$web"
expect_eq "skopeo inspect --raw: batch" \
  "sha256:$(skopeo inspect --raw "oci:$P/out/batch:v2" | sha256sum | cut -d' ' -f1)" "$batch"

# 3. A flag overrides that field for every image; repeated flags replace the
#    file's list; fields without a flag keep the file's values.
"$OCIB" build -q -f "$P/ocib.json" --label tier=override --label extra=1 > "$T/stdout"
expect_eq "override: one line per image" "$(wc -l < "$T/stdout")" 2
web2=$(sed -n 1p "$T/stdout")
batch2=$(sed -n 2p "$T/stdout")
check "override: web digest changed" test "$web2" != "$web"
c=$(config "$P/out/web" "$(manifest_for "$P/out/web" "$web2" arm64)")
expect_eq "override: web labels replaced by the flags" "$(jq -c .config.Labels "$c")" '{"extra":"1","tier":"override"}'
expect_eq "override: web env still the file's" "$(jq -c '.config.Env[2:]' "$c")" '["GREETING=hi","EXPR=a=b"]'
c=$(config "$P/out/batch" "$batch2")
expect_eq "override: batch labels replaced by the flags" "$(jq -c .config.Labels "$c")" '{"extra":"1","tier":"override"}'
expect_eq "override: batch env still the file's" "$(jq -c '.config.Env[2:]' "$c")" '["MODE=batch"]'
expect_eq "override: web:v1 now tags the new image" "$(tagged "$P/out/web" v1)" "$web2"

# Rebuilding without the flag gives the first digests back (reproducible).
"$OCIB" build -q -f "$P/ocib.json" > "$T/stdout"
expect_eq "rebuild without the flag: same digests" "$(tr '\n' ' ' < "$T/stdout")" "$web $batch "

# 4. A misspelled key: exit 2, its JSON path on stderr, no layout touched
#    (images[0] is valid and would write a new tag).
before_web=$(snapshot "$P/out/web")
before_batch=$(snapshot "$P/out/batch")
jq '.images[0].output = "oci:out/web:v3" | .images[1].platfroms = ["linux/amd64"]' "$P/ocib.json" > "$P/bad.json"
set +e
"$OCIB" build -q -f "$P/bad.json" > "$T/stdout" 2> "$T/stderr"; rc=$?
set -e
expect_eq "misspelled key: exit 2" "$rc" 2
check "misspelled key: stderr names images[1].platfroms" grep -qF "bad.json: images[1].platfroms: unknown key" "$T/stderr"
expect_eq "misspelled key: nothing on stdout" "$(cat "$T/stdout")" ""
expect_eq "misspelled key: web layout unchanged" "$(snapshot "$P/out/web")" "$before_web"
expect_eq "misspelled key: batch layout unchanged" "$(snapshot "$P/out/batch")" "$before_batch"

# A wrong type: exit 2 with the path.
jq '.images[0].platforms = ["linux/amd64", 7]' "$P/ocib.json" > "$P/bad.json"
set +e
"$OCIB" build -q -f "$P/bad.json" > "$T/stdout" 2> "$T/stderr"; rc=$?
set -e
expect_eq "wrong type: exit 2" "$rc" 2
check "wrong type: stderr names images[0].platforms[1]" grep -qF "images[0].platforms[1]: expected a string, got number" "$T/stderr"
expect_eq "wrong type: web layout unchanged" "$(snapshot "$P/out/web")" "$before_web"

# --output with a file of two images would write one tag twice: exit 2.
set +e
"$OCIB" build -q -f "$P/ocib.json" --output "oci:$T/one:v1" > "$T/stdout" 2> "$T/stderr"; rc=$?
set -e
expect_eq "--output for two images: exit 2" "$rc" 2
check "--output for two images: message" grep -qF "both write oci:$T/one:v1" "$T/stderr"
check "--output for two images: nothing written" test ! -e "$T/one"

# 5. A failing image stops the run with its label and exit code; the images
#    before it are built and printed.
jq '.images[0].output = "oci:out/web:v4" | .images[1].binaries = {"linux/amd64": "bin/missing"}' \
  "$P/ocib.json" > "$P/missing.json"
set +e
"$OCIB" build -q -f "$P/missing.json" > "$T/stdout" 2> "$T/stderr"; rc=$?
set -e
expect_eq "missing binary in images[1]: exit 4" "$rc" 4
check "missing binary: stderr names the image" grep -qF "missing.json: images[1] (batch): " "$T/stderr"
check "missing binary: stderr names the file" grep -qF "$P/bin/missing" "$T/stderr"
expect_eq "missing binary: images[0] was built and printed" "$(cat "$T/stdout")" "$(tagged "$P/out/web" v4)"
expect_eq "missing binary: batch layout unchanged" "$(snapshot "$P/out/batch")" "$before_batch"

# A missing build file: exit 4.
set +e
"$OCIB" build -q -f "$P/nope.json" > /dev/null 2> "$T/stderr"; rc=$?
set -e
expect_eq "missing build file: exit 4" "$rc" 4
check "missing build file: message names it" grep -qF "$P/nope.json" "$T/stderr"
finish
