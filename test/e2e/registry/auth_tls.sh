#!/usr/bin/env bash
# Auth and TLS failures: a wrong password exits 3 naming the registry with no
# secret in the output; an unknown CA gives a clear TLS error and works with
# --ca-file; a redirect to another host carries no Authorization; a pull of an
# image pushed by skopeo verifies.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3 htpasswd
IMG=$T/img
want=$(make_image "$IMG" v1)

# --- Basic auth over HTTPS.
reg_start basic
set +e
echo -n wrongpass | "$OCIB" login "$REG" -u ocib --password-stdin --ca-file "$CA" > "$T/login.out" 2> "$T/login.err"; rc=$?
set -e
check "wrong password: login exits 3" test "$rc" = 3
check "wrong password: message names the registry" grep -q "$REG" "$T/login.err"
check "wrong password: no password in output" bash -c "! grep -q wrongpass '$T/login.err' '$T/login.out'"
check "wrong password: nothing stored" test ! -e "$DOCKER_CONFIG/config.json"
# A wrong password from config.json on push.
mkdir -p "$DOCKER_CONFIG"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$(printf 'ocib:badpass' | base64)" > "$DOCKER_CONFIG/config.json"
set +e
"$OCIB" push "oci:$IMG:v1" "$REG/app:1" --ca-file "$CA" -v > "$T/push.out" 2> "$T/push.err"; rc=$?
set -e
check "wrong password: push exits 3" test "$rc" = 3
check "wrong password: push names the registry" grep -q "$REG" "$T/push.err"
check "wrong password: no secret in push output (incl. --verbose)" \
  bash -c "! grep -Eq 'badpass|$(printf 'ocib:badpass' | base64)' '$T/push.err' '$T/push.out'"

# --- Unknown CA.
rm -f "$DOCKER_CONFIG/config.json"
echo -n ocibpass | "$OCIB" login "$REG" -u ocib --password-stdin --ca-file "$CA" 2>/dev/null
set +e
"$OCIB" push "oci:$IMG:v1" "$REG/app:1" > /dev/null 2> "$T/tls.err"; rc=$?
set -e
check "unknown CA: push fails (exit $rc)" test "$rc" -ne 0
check "unknown CA: the error says TLS certificate and names the host" grep -q "TLS certificate of $REG" "$T/tls.err"
check "unknown CA: the error suggests --ca-file" grep -q -- "--ca-file" "$T/tls.err"
out=$("$OCIB" push "oci:$IMG:v1" "$REG/app:1" --ca-file "$CA" 2>/dev/null)
check "with --ca-file the push works" test "$out" = "$REG/app:1@$want"
out=$(SSL_CERT_FILE=$CA "$OCIB" digest "$REG/app:1")
check "SSL_CERT_FILE is honoured" test "$out" = "$want"
out=$("$OCIB" digest "$REG/app:1" --insecure-registry "$REG")
check "--insecure-registry skips verification" test "$out" = "$want"

# --- Pull of an image skopeo pushed (token auth over plain HTTP), through a
# proxy that redirects blob GETs to another host name.
reg_start token-http
RULES=$T/rules.json
echo '[{"method": "GET", "path": "/blobs/sha256:", "action": "redirect", "times": -1}]' > "$RULES"
proxy_start "$REG" "$RULES"
skopeo copy --all -q --dest-tls-verify=false --dest-creds ocib:ocibpass "oci:$IMG:v1" "docker://$REG/ocib/sk:1" >/dev/null
echo -n ocibpass | "$OCIB" login "$PROXY" -u ocib --password-stdin 2>/dev/null
out=$("$OCIB" pull "$PROXY/ocib/sk:1" "oci:$T/pulled:p" -v 2> "$T/pull.err") || { cat "$T/pull.err"; die "pull failed"; }
check "pull of a skopeo-pushed image verifies" test "$(layout_digest "$T/pulled" p)" = "$want"
for f in "$IMG"/blobs/sha256/*; do
  cmp -s "$f" "$T/pulled/blobs/sha256/$(basename "$f")" || fail "pulled blob $(basename "$f") differs"
done
check "blob GETs were redirected" grep -q '"fault": "redirect"' "$PROXY_LOG"
check "the registry host got Authorization" \
  bash -c "grep '\"fault\": \"redirect\"' '$PROXY_LOG' | grep -q '\"auth\": true'"
check "the redirect target host got no Authorization" \
  bash -c "grep -q '\"fault\": \"redirect-target\"' '$PROXY_LOG' && ! grep '\"fault\": \"redirect-target\"' '$PROXY_LOG' | grep -q '\"auth\": true'"
check "the token server was asked for pull scope" grep -q 'repository:ocib/sk:pull' "$TOKEN_LOG"
finish
