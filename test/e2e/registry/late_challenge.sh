#!/usr/bin/env bash
# Late auth challenge: a registry that answers GET/HEAD /v2/ with 200
# anonymously but 401 + WWW-Authenticate on repositories. faultproxy.py
# answers /v2/ itself in front of docker-registry (token auth, then Basic
# auth); ocib must follow the challenge of the first 401 (a token for the
# scope from tokenserver.py, or Basic credentials), retry once, and keep
# using it. skopeo reads the result back from the registry directly.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3 htpasswd
IMG=$T/img
want=$(make_image "$IMG" v1)
RULES=$T/rules.json
echo '[{"method": "*", "path": "^/v2/$", "action": "status", "status": 200, "times": -1}]' > "$RULES"

# --- Bearer.
reg_start token-http
proxy_start "$REG" "$RULES"
check "the proxy answers /v2/ anonymously" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -I "http://$PROXY/v2/")" = 200
check "the registry behind it challenges on repositories" \
  bash -c "curl -s -I 'http://$PROXY/v2/ocib/app/manifests/1' | grep -qi '^www-authenticate: bearer'"

set +e
"$OCIB" push "oci:$IMG:v1" "$PROXY/ocib/app:1" > "$T/anon.out" 2> "$T/anon.err"; rc=$?
set -e
check "bearer, no credentials: push exits 3 (got $rc)" test "$rc" = 3
check "bearer, no credentials: the error suggests ocib login" grep -q "ocib login $PROXY" "$T/anon.err"
check "bearer, no credentials: an anonymous token was asked for the push scope" \
  grep -q '"scopes": \["repository:ocib/app:pull,push".*"user": null' "$TOKEN_LOG"

echo -n ocibpass | "$OCIB" login "$PROXY" -u ocib --password-stdin 2> "$T/login.err" \
  || { cat "$T/login.err"; die "login failed"; }
: > "$PROXY_LOG"
out=$("$OCIB" push "oci:$IMG:v1" "$PROXY/ocib/app:1" -v 2> "$T/push.err") || { cat "$T/push.err"; die "push failed"; }
check "bearer: push prints REF@digest" test "$out" = "$PROXY/ocib/app:1@$want"
# A push's first request is its tag's HEAD, which pings the registry: the
# bearer challenge comes with its 401 and /v2/ is never asked.
check "bearer: the push never asked /v2/ (the tag's HEAD was the ping)" bash -c "! grep -q '\"path\": \"/v2/\"' '$PROXY_LOG'"
check "bearer: the token server issued a push token to ocib" \
  grep -q '"scopes": \["repository:ocib/app:pull,push"\], "user": "ocib"' "$TOKEN_LOG"
unauth=$(grep -v '"path": "/v2/"' "$PROXY_LOG" | grep -c '"status": 401' || true)
check "bearer: one 401 in the whole push (the token was kept), got $unauth" test "$unauth" = 1
check "bearer: no secret in the verbose log" bash -c "! grep -Eq 'ocibpass|eyJ' '$T/push.err'"
raw=$(skopeo inspect --raw --tls-verify=false --creds ocib:ocibpass "docker://$REG/ocib/app:1")
check "bearer: registry holds the exact index" test "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$want"
out=$("$OCIB" pull "$PROXY/ocib/app:1" "oci:$T/pulled:p" -v 2> "$T/pull.err") || { cat "$T/pull.err"; die "pull failed"; }
check "bearer: pull through the late challenge verifies" test "$(layout_digest "$T/pulled" p)" = "$want"
# A pull pings /v2/ (200 here) and meets the challenge on the manifest.
check "bearer: the pull followed the challenge of its first 401" grep -q "bearer challenge .* not announced by /v2/" "$T/pull.err"

# --- Basic.
reg_start basic-http
proxy_start "$REG" "$RULES"
check "the Basic registry behind the proxy challenges on repositories" \
  bash -c "curl -s -I 'http://$PROXY/v2/app/manifests/1' | grep -qi '^www-authenticate: basic'"
set +e
"$OCIB" push "oci:$IMG:v1" "$PROXY/app:1" > /dev/null 2> "$T/banon.err"; rc=$?
set -e
check "basic, no credentials: push exits 3 (got $rc)" test "$rc" = 3
check "basic, no credentials: the error suggests ocib login" grep -q "ocib login $PROXY" "$T/banon.err"
echo -n ocibpass | "$OCIB" login "$PROXY" -u ocib --password-stdin 2> /dev/null
: > "$PROXY_LOG"
out=$("$OCIB" push "oci:$IMG:v1" "$PROXY/app:1" -v 2> "$T/bpush.err") || { cat "$T/bpush.err"; die "basic push failed"; }
check "basic: push prints REF@digest" test "$out" = "$PROXY/app:1@$want"
unauth=$(grep -c '"status": 401' "$PROXY_LOG" || true)
check "basic: one 401 in the whole push, got $unauth" test "$unauth" = 1
check "basic: no secret in the verbose log" bash -c "! grep -q ocibpass '$T/bpush.err'"
raw=$(skopeo inspect --raw --tls-verify=false --creds ocib:ocibpass "docker://$REG/app:1")
check "basic: registry holds the exact index" test "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$want"
finish
