#!/usr/bin/env bash
# ocib build --go: one go build per platform (GOARM from arm/v7), images that
# run, the same digests from two copies of the module in different
# directories, an SBOM that lists the dependency as `go version -m` does, and
# a failing build that shows the compiler's output with exit code 7.
source "$(dirname "$0")/lib.sh"
need go jq skopeo umoci qemu-aarch64-static qemu-arm-static /usr/bin/python3
export GOCACHE="${OCIB_GOCACHE:-$OCIB_BINARY_DIR/gocache}" GOFLAGS=-mod=mod GOPROXY=off

mkdir -p "$T/one" "$T/deeper/two"
cp -r "$OCIB_SOURCE_DIR/fixtures/go/goapp" "$T/one/"
cp -r "$OCIB_SOURCE_DIR/fixtures/go/goapp" "$T/deeper/two/"
plat=linux/amd64,linux/arm64,linux/arm/v7
d1=$(cd "$T/one/goapp/app" && "$OCIB" build -q --go . --platform "$plat" --output "oci:$T/l1:v1")
d2=$("$OCIB" build -q --go . --go-dir "$T/deeper/two/goapp/app" --platform "$plat" --output "oci:$T/l2:v1")
expect_eq "the same module in two directories gives the same digest" "$d1" "$d2"
check "the layout validates" "$OCIB" validate "oci:$T/l1"

for arch in amd64 arm64 arm; do
  skopeo copy --quiet --override-arch "$arch" --dest-compress --dest-compress-format gzip "oci:$T/l1:v1" "oci:$T/gz-$arch:i"
  umoci unpack --image "$T/gz-$arch:i" "$T/b-$arch" >/dev/null
  app="$T/b-$arch/rootfs/app"
  case $arch in
    amd64) out=$("$app"); want="GOARCH=amd64 GOARM=" ;;
    arm64) out=$(qemu-aarch64-static "$app"); want="GOARCH=arm64 GOARM=" ;;
    arm) out=$(qemu-arm-static "$app"); want="GOARCH=arm GOARM=7" ;;
  esac
  check "linux/$arch image runs and prints '$want' ($out)" grep -q "GOOS=linux $want\$" <<<"$out"
done

# The SBOM lists the dependency with the version and sum that go version -m prints.
(cd "$T/one/goapp/app" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$T/ref-amd64" .)
dep=$(go version -m "$T/ref-amd64" | awk '$1=="dep" && $2=="example.invalid/goapp/lib"{print $3}')
expect_eq "go version -m shows the dependency version" "$dep" "v0.3.1"
"$OCIB" sbom "oci:$T/l1:v1" --platform linux/amd64 > "$T/sbom.json"
# A replaced module: go version -m prints "dep PATH v0.3.1" and "=> ../lib (devel)".
repl=$(go version -m "$T/ref-amd64" | awk '$1=="=>"{print $2" "$3}')
check "the SBOM has a package for the dependency" jq -e '.packages[]|select(.name=="example.invalid/goapp/lib")' "$T/sbom.json"
check "the SBOM records the required version $dep and the replacement ($repl)" jq -e --arg v "$dep" --arg r "$repl" \
  '.packages[]|select(.name=="example.invalid/goapp/lib")|select((.comment|contains($v)) and (.comment|contains($r)))' "$T/sbom.json"
check "the SBOM validates against SPDX 2.3" /usr/bin/python3 -c '
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' \
  "$OCIB_SOURCE_DIR/fixtures/schemas/sbom/spdx-2.3/spdx-schema.json" "$T/sbom.json"
c=$("$OCIB" build -q --go . --go-dir "$T/one/goapp/app" --platform linux/amd64 --sbom cyclonedx --output "oci:$T/cdx:v1")
check "--sbom cyclonedx attaches a CycloneDX referrer" bash -c "'$OCIB' referrers 'oci:$T/cdx:v1' | grep -q 'application/vnd.cyclonedx+json'"
n=$("$OCIB" build -q --go . --go-dir "$T/one/goapp/app" --platform linux/amd64 --sbom none --output "oci:$T/nosbom:v1")
expect_eq "--sbom none attaches nothing" "$("$OCIB" referrers "oci:$T/nosbom:v1" | wc -l)" 0

# A failing build: exit 7, the compiler's message, the layout untouched.
echo 'package main; func main() { undefinedThing() }' > "$T/one/goapp/app/main.go"
before=$(snapshot "$T/l1")
set +e; "$OCIB" build -q --go . --go-dir "$T/one/goapp/app" --platform linux/amd64 --output "oci:$T/l1:v2" 2>"$T/err"; rc=$?; set -e
expect_eq "a failing go build exits 7" "$rc" 7
check "and shows the compiler's output" grep -q 'undefined: undefinedThing' "$T/err"
expect_eq "and leaves the layout unchanged" "$(snapshot "$T/l1")" "$before"
finish
