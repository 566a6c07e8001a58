#!/usr/bin/env bash
# HTTPS_PROXY / https_proxy / NO_PROXY (curl's proxy environment) for an
# HTTPS registry: requests go through connectproxy.py as CONNECT tunnels
# (the proxy logs each tunnel's target), unless NO_PROXY names the host.
# The registry is addressed as 127.0.0.1: some curl versions never proxy
# "localhost" (curl 7.88, Debian 12's, proxies both).
source "$(dirname "$0")/lib.sh"
need skopeo jq python3
reg_start https
IMG=$T/img
want=$(make_image "$IMG" v1)
port=$(free_port)
CPROXY=127.0.0.1:$port
CLOG=$T/connect.log
: > "$CLOG"
python3 "$HERE/connectproxy.py" --port "$port" --log "$CLOG" 2> "$T/connectproxy.err" &
echo $! >> "$T/pids"
wait_http "http://$CPROXY/healthz" || die "connect proxy did not start"
: > "$CLOG"

# lib.sh sets NO_PROXY='*' for every other test: clear it here.
out=$(HTTPS_PROXY=http://$CPROXY NO_PROXY= no_proxy= "$OCIB" push "oci:$IMG:v1" "$REG/app:1" --ca-file "$CA" 2> "$T/push.err") \
  || { cat "$T/push.err"; die "push through HTTPS_PROXY failed"; }
check "push through HTTPS_PROXY prints REF@digest" test "$out" = "$REG/app:1@$want"
check "the proxy tunnelled to the registry (CONNECT $REG)" grep -q "\"connect\": \"$REG\", \"status\": 200" "$CLOG"
check "the proxy tunnelled nothing else" bash -c "! grep -v '\"connect\": \"$REG\"' '$CLOG' | grep -q ."
raw=$(skopeo inspect --raw --cert-dir="$CERTDIR" "docker://$REG/app:1")
check "registry holds the exact index" test "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$want"

: > "$CLOG"
out=$(https_proxy=http://$CPROXY NO_PROXY= no_proxy= "$OCIB" pull "$REG/app:1" "oci:$T/pulled:p" --ca-file "$CA" 2> "$T/pull.err") \
  || { cat "$T/pull.err"; die "pull through https_proxy failed"; }
check "pull through https_proxy (lower case) verifies" test "$(layout_digest "$T/pulled" p)" = "$want"
check "the pull was tunnelled" grep -q "\"connect\": \"$REG\"" "$CLOG"

: > "$CLOG"
out=$(HTTPS_PROXY=http://$CPROXY NO_PROXY=127.0.0.1 no_proxy= "$OCIB" push "oci:$IMG:v1" "$REG/app:2" --ca-file "$CA" 2> "$T/noproxy.err") \
  || { cat "$T/noproxy.err"; die "push with NO_PROXY failed"; }
check "push with NO_PROXY=127.0.0.1 prints REF@digest" test "$out" = "$REG/app:2@$want"
check "NO_PROXY: the proxy saw nothing" test ! -s "$CLOG"
: > "$CLOG"
out=$(HTTPS_PROXY=http://$CPROXY NO_PROXY=example.test,127.0.0.1 no_proxy= "$OCIB" digest "$REG/app:2" --ca-file "$CA" 2> "$T/noproxy2.err") \
  || { cat "$T/noproxy2.err"; die "digest with a NO_PROXY list failed"; }
check "NO_PROXY list naming the host: digest works, the proxy saw nothing" test "$out" = "$want" -a ! -s "$CLOG"
finish
