#!/usr/bin/env bash
# Per-host TLS directories, read by ocib itself as docker and podman do:
# DIR/HOST:PORT/*.crt are trusted CAs for that registry, client.cert +
# client.key its client certificate. The directories come from
# OCIB_CERTS_D_DIRS (here temporary ones standing in for
# /etc/docker/certs.d and /etc/containers/certs.d), or by default the
# user's ~/.config/containers/certs.d first. No --ca-file and no
# SSL_CERT_FILE anywhere: only certs.d can make the test CA trusted.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3
IMG=$T/img
want=$(make_image "$IMG" v1)
DOCKER_D=$T/docker-certs.d
CONTAINERS_D=$T/containers-certs.d
mkdir -p "$DOCKER_D" "$CONTAINERS_D"
export OCIB_CERTS_D_DIRS=$DOCKER_D:$CONTAINERS_D

push() { # REF [FLAGS] -> $out, $rc; stderr in $T/push.err
  set +e
  out=$("$OCIB" push "oci:$IMG:v1" "$@" 2> "$T/push.err"); rc=$?
  set -e
}

# --- Server verification.
reg_start https
push "$REG/app:1"
check "no CA: push exits 5 (TLS, unavailable) (got $rc)" test "$rc" = 5
check "no CA: the error says the certificate is not trusted" grep -q "TLS certificate of $REG not trusted" "$T/push.err"
check "no CA: the error names the certs.d path to use" grep -q "$DOCKER_D/$REG/ca.crt" "$T/push.err"

# A directory for the host without the port, or for another port, does not apply.
mkdir -p "$DOCKER_D/127.0.0.1" "$DOCKER_D/127.0.0.1:1"
cp "$CA" "$DOCKER_D/127.0.0.1/ca.crt"
cp "$CA" "$DOCKER_D/127.0.0.1:1/ca.crt"
push "$REG/app:1"
check "CA filed under another host:port is not used (exit $rc)" test "$rc" = 5

mkdir -p "$CONTAINERS_D/$REG"
cp "$CA" "$CONTAINERS_D/$REG/ca.crt"
push "$REG/app:1"
check "CA in the second directory (containers): push works" test "$rc" = 0 -a "$out" = "$REG/app:1@$want"
rm -r "$CONTAINERS_D/$REG"
mkdir -p "$DOCKER_D/$REG"
cp "$CA" "$DOCKER_D/$REG/my-registry-ca.crt"
push "$REG/app:2"
check "CA as NAME.crt in the first directory (docker): push works" test "$rc" = 0 -a "$out" = "$REG/app:2@$want"
raw=$(skopeo inspect --raw --cert-dir="$CERTDIR" "docker://$REG/app:2")
check "skopeo reads back the exact index" test "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$want"
out=$(OCIB_CERTS_D_DIRS= "$OCIB" digest "$REG/app:2" 2> /dev/null) && rc=0 || rc=$?
check "OCIB_CERTS_D_DIRS set but empty: no directory is read (exit $rc)" test "$rc" = 5
# Without OCIB_CERTS_D_DIRS: the user's containers directory comes first
# ($XDG_CONFIG_HOME/containers/certs.d, else ~/.config/containers/certs.d).
mkdir -p "$T/xdg/containers/certs.d/$REG"
cp "$CA" "$T/xdg/containers/certs.d/$REG/ca.crt"
out=$(env -u OCIB_CERTS_D_DIRS XDG_CONFIG_HOME="$T/xdg" "$OCIB" digest "$REG/app:2" 2> "$T/push.err") && rc=0 || rc=$?
check "CA in \$XDG_CONFIG_HOME/containers/certs.d is trusted by default (exit $rc)" test "$rc" = 0 -a "$out" = "$want"
mkdir -p "$T/home/.config"
mv "$T/xdg/containers" "$T/home/.config/"
out=$(env -u OCIB_CERTS_D_DIRS -u XDG_CONFIG_HOME HOME="$T/home" "$OCIB" digest "$REG/app:2" 2> "$T/push.err") && rc=0 || rc=$?
check "CA in ~/.config/containers/certs.d is trusted by default (exit $rc)" test "$rc" = 0 -a "$out" = "$want"
out=$(env -u OCIB_CERTS_D_DIRS -u XDG_CONFIG_HOME HOME="$T/nohome" "$OCIB" digest "$REG/app:2" 2> "$T/push.err") && rc=0 || rc=$?
check "without it the CA is not trusted (exit $rc)" test "$rc" = 5

# --- Client certificates (http.tls.clientcas).
make_client_cert "$T/client"
REG_CLIENT_DIR=$T/client reg_start https
mkdir -p "$DOCKER_D/$REG"
cp "$CA" "$DOCKER_D/$REG/ca.crt"
push "$REG/app:1" -v
check "no client certificate: exit 3 (authentication) (got $rc)" test "$rc" = 3
check "no client certificate: the error says the registry wants one" grep -q "TLS client certificate required by $REG" "$T/push.err"
check "no client certificate: the error names the certs.d files" grep -q "client.cert and client.key in $DOCKER_D/$REG/" "$T/push.err"
check "no client certificate: not retried (one HTTPS request)" \
  test "$(grep -c "HEAD https://$REG/v2/" "$T/push.err")" = 1

# A client certificate from a CA the registry does not trust.
make_client_cert "$T/other-client"
cp "$T/other-client/client.cert" "$T/other-client/client.key" "$DOCKER_D/$REG/"
push "$REG/app:1"
check "untrusted client certificate: exit 3 (got $rc)" test "$rc" = 3
check "untrusted client certificate: the error says it was rejected" \
  grep -q "TLS client certificate rejected by $REG" "$T/push.err"
rm "$DOCKER_D/$REG/client.cert" "$DOCKER_D/$REG/client.key"

cp "$T/client/client.key" "$DOCKER_D/$REG/client.key"
push "$REG/app:1"
check "client.key without client.cert: exit 2 (invalid configuration)" test "$rc" = 2
check "client.key without client.cert: the error names the file" grep -q "client.key has no matching certificate" "$T/push.err"

cp "$T/client/client.cert" "$DOCKER_D/$REG/client.cert"
push "$REG/app:1"
check "client.cert + client.key in certs.d: push works" test "$rc" = 0 -a "$out" = "$REG/app:1@$want"
[ "$rc" = 0 ] || cat "$T/push.err" >&2
mkdir -p "$T/skopeo-client"
cp "$CA" "$T/client/client.cert" "$T/client/client.key" "$T/skopeo-client/"
raw=$(skopeo inspect --raw --cert-dir="$T/skopeo-client" "docker://$REG/app:1")
check "skopeo (with the client certificate) reads back the exact index" \
  test "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$want"
pulled=$("$OCIB" pull "$REG/app:1" "oci:$T/pulled:p" 2> "$T/pull.err") || { cat "$T/pull.err"; fail "pull with client certificate"; }
check "pull with the client certificate verifies" test "$(layout_digest "$T/pulled" p)" = "$want"
finish
