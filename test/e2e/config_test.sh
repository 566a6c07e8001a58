#!/usr/bin/env bash
# The config and manifests match the flags, and rootfs.diff_ids equal the
# sha256 of each layer as decompressed by the zstd and gzip command-line tools.
source "$(dirname "$0")/lib.sh"
need go jq zstd gzip sha256sum

go_build linux/amd64 "$T/hello-amd64"
go_build linux/arm64 "$T/hello-arm64"
echo data > "$T/data.txt"
for comp in zstd gzip; do
  digest=$("$OCIB" build -q --binary linux/amd64="$T/hello-amd64" --binary linux/arm64="$T/hello-arm64" \
    --binary-path /usr/local/bin/hello --file "$T/data.txt:/etc/hello/data.txt" \
    --entrypoint /usr/local/bin/hello --entrypoint serve --cmd --port=8080 \
    --env GREETING=hi --env 'EXPR=a=b' --label org.example.team=build --label tier=web \
    --annotation org.opencontainers.image.source=https://example.invalid/src --annotation org.example.note=x \
    --expose 8080 --expose 53/udp --user 1000:2000 --workdir /srv \
    --compression "$comp" --output "oci:$T/$comp:v1")
  for arch in amd64 arm64; do
    m=$(blob "$T/$comp" "$(manifest_for "$T/$comp" "$digest" "$arch")")
    c=$(blob "$T/$comp" "$(jq -r .config.digest "$m")")
    expect_eq "$comp/$arch entrypoint" "$(jq -c .config.Entrypoint "$c")" '["/usr/local/bin/hello","serve"]'
    expect_eq "$comp/$arch cmd" "$(jq -c .config.Cmd "$c")" '["--port=8080"]'
    expect_eq "$comp/$arch env keeps the base's and adds ours" "$(jq -c .config.Env "$c")" \
      '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt","GREETING=hi","EXPR=a=b"]'
    expect_eq "$comp/$arch user" "$(jq -r .config.User "$c")" "1000:2000"
    expect_eq "$comp/$arch workdir" "$(jq -r .config.WorkingDir "$c")" "/srv"
    expect_eq "$comp/$arch labels" "$(jq -c .config.Labels "$c")" '{"org.example.team":"build","tier":"web"}'
    expect_eq "$comp/$arch exposed ports" "$(jq -c '.config.ExposedPorts|keys' "$c")" '["53/udp","8080/tcp"]'
    expect_eq "$comp/$arch architecture" "$(jq -r .architecture "$c")" "$arch"
    expect_eq "$comp/$arch manifest annotations" "$(jq -c .annotations "$m")" \
      '{"org.example.note":"x","org.opencontainers.image.source":"https://example.invalid/src"}'
    expect_eq "$comp/$arch history has one entry per layer" "$(jq '[.history[]|select(.empty_layer!=true)]|length' "$c")" "$(jq '.layers|length' "$m")"
    n=$(jq '.layers|length' "$m")
    for i in $(seq 0 $((n - 1))); do
      l=$(jq -r ".layers[$i].digest" "$m")
      mt=$(jq -r ".layers[$i].mediaType" "$m")
      expect_eq "$comp/$arch layer $i media type" "$mt" "application/vnd.oci.image.layer.v1.tar+$comp"
      if [ "$comp" = zstd ]; then got=$(zstd -dcq "$(blob "$T/$comp" "$l")" | sha256sum); else got=$(gzip -dc "$(blob "$T/$comp" "$l")" | sha256sum); fi
      expect_eq "$comp/$arch layer $i diff_id matches the $comp tool's output" "sha256:${got%% *}" "$(jq -r ".rootfs.diff_ids[$i]" "$c")"
      expect_eq "$comp/$arch layer $i size" "$(stat -c %s "$(blob "$T/$comp" "$l")")" "$(jq -r ".layers[$i].size" "$m")"
    done
  done
  expect_eq "$comp index annotations" "$(jq -r '.annotations["org.example.note"]' "$(blob "$T/$comp" "$digest")")" x
  arm=$(jq -c '.manifests[]|select(.platform.architecture=="arm64").platform' "$(blob "$T/$comp" "$digest")")
  expect_eq "$comp arm64 is written with variant v8" "$arm" '{"architecture":"arm64","os":"linux","variant":"v8"}'
done
# One platform: a manifest, not an index; entrypoint defaults to the binary path.
one=$("$OCIB" build -q --binary linux/amd64="$T/hello-amd64" --output "oci:$T/one:v1")
mt=$(jq -r '.manifests[0].mediaType' "$T/one/index.json")
expect_eq "one platform gives an image manifest" "$mt" "application/vnd.oci.image.manifest.v1+json"
c=$(blob "$T/one" "$(jq -r .config.digest "$(blob "$T/one" "$one")")")
expect_eq "default entrypoint is the binary path" "$(jq -c .config.Entrypoint "$c")" '["/app"]'
expect_eq "ocib inspect prints the manifest then the config" "$(printf %s "$("$OCIB" inspect "oci:$T/one:v1" | sed -n 2p)" | sha256sum | cut -d' ' -f1)" "$(sha256sum < "$c" | cut -d' ' -f1)"
finish
