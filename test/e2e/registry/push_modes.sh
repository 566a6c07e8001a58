#!/usr/bin/env bash
# Push a two-platform image with ocib to a registry in MODE (http | https |
# basic | token), read it back with skopeo (inspect --raw, copy --all) and
# compare digests with the local layout; a second push must send HEAD
# requests only; `ocib pull` and `ocib digest` read it back too.
#   usage: push_modes.sh MODE
source "$(dirname "$0")/lib.sh"
MODE=${1:?mode}
need skopeo jq python3
reg_start "$MODE"

IMG=$T/img
want=$(make_image "$IMG" v1)
OCIB_ARGS=()
SKOPEO_CREDS=()
[ -n "$CA" ] && OCIB_ARGS+=(--ca-file "$CA")
if [ "$MODE" = basic ] || [ "$MODE" = token ]; then
  set +e
  echo -n nottheword | "$OCIB" login "$REG" -u ocib --password-stdin "${OCIB_ARGS[@]}" > /dev/null 2> "$T/badlogin.err"
  rc=$?
  set -e
  check "wrong password: login exits 3" test "$rc" = 3
  check "wrong password: message names the registry" grep -q "$REG" "$T/badlogin.err"
  check "wrong password: no password in the message" bash -c "! grep -q nottheword '$T/badlogin.err'"
  echo -n ocibpass | "$OCIB" login "$REG" -u ocib --password-stdin "${OCIB_ARGS[@]}" 2> "$T/login.err" \
    || { cat "$T/login.err"; die "login failed"; }
  check "config.json is mode 0600" test "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600
  check "login output has no password" bash -c "! grep -q ocibpass '$T/login.err'"
  SKOPEO_CREDS=(--creds ocib:ocibpass)
fi
REPO=$REG/ocib/app

out=$("$OCIB" push "oci:$IMG:v1" "$REPO:1" "${OCIB_ARGS[@]}" -v 2> "$T/push1.err") || { cat "$T/push1.err"; die "push failed"; }
check "push prints REF@digest" test "$out" = "$REPO:1@$want"
check "verbose log has no secret" bash -c "! grep -Eqi 'ocibpass|authorization: |bearer [a-z0-9]' '$T/push1.err'"
if [ "$MODE" != http ]; then
  # docker-registry offers HTTP/2 over TLS (ALPN): ocib's requests use it.
  h2=$(grep -a '"ocib"$' "$REG_LOG" | grep -c ' HTTP/2.0" ' || true)
  h1=$(grep -a '"ocib"$' "$REG_LOG" | grep -c ' HTTP/1.1" ' || true)
  check "ocib spoke HTTP/2 to the TLS registry ($h2 HTTP/2 requests, $h1 HTTP/1.1)" test "$h2" -gt 0 -a "$h1" = 0
fi

raw=$(skopeo inspect --raw $SKOPEO_TLS "${SKOPEO_CREDS[@]}" "docker://$REPO:1")
check "skopeo inspect --raw bytes hash to the layout digest" \
  test "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$want"
check "registry index bytes equal the layout's" \
  cmp <(printf '%s' "$raw") "$IMG/blobs/sha256/${want#sha256:}"
for d in $(jq -r '.manifests[].digest' <<<"$raw"); do
  m=$(skopeo inspect --raw $SKOPEO_TLS "${SKOPEO_CREDS[@]}" "docker://$REPO@$d")
  check "manifest $d round-trips" test "sha256:$(printf '%s' "$m" | sha256sum | cut -d' ' -f1)" = "$d"
done
skopeo copy --all -q $( [ "$MODE" = http ] && echo --src-tls-verify=false || echo "--src-cert-dir=$CERTDIR") \
  "${SKOPEO_CREDS[@]/--creds/--src-creds}" "docker://$REPO:1" "oci:$T/skopeo-copy:back" >/dev/null
check "skopeo copy --all reads it back with the same digest" test "$(layout_digest "$T/skopeo-copy" back)" = "$want"

# Second push: nothing but HEAD requests reach the registry.
before=$(reg_log_sync)
out2=$("$OCIB" push "oci:$IMG:v1" "$REPO:1" "${OCIB_ARGS[@]}" -v 2> "$T/push2.err") || { cat "$T/push2.err"; die "second push failed"; }
check "second push prints the same line" test "$out2" = "$out"
after=$(reg_log_since "$before" | grep -o '"[A-Z]* /v2/[^ ]*' || true)
nonhead=$(grep -v '^"HEAD ' <<<"$after" | grep -c . || true)
heads=$(grep -c '^"HEAD ' <<<"$after" || true)
check "second push sent HEAD requests only ($heads HEAD, $nonhead other)" test "$nonhead" = 0 -a "$heads" -gt 0

# Pull back with ocib, all platforms, then one.
pulled=$("$OCIB" pull "$REPO:1" "oci:$T/pulled:x" "${OCIB_ARGS[@]}" 2> "$T/pull.err") || { cat "$T/pull.err"; die "pull failed"; }
check "pull prints REF@digest" test "$pulled" = "$REPO:1@$want"
check "pulled layout is tagged with the same digest" test "$(layout_digest "$T/pulled" x)" = "$want"
for f in "$IMG"/blobs/sha256/*; do
  cmp -s "$f" "$T/pulled/blobs/sha256/$(basename "$f")" || fail "pulled blob $(basename "$f") differs or is missing"
done
"$OCIB" pull "$REPO:1" "oci:$T/one:arm" --platform linux/arm64 "${OCIB_ARGS[@]}" 2>/dev/null >/dev/null
one=$(layout_digest "$T/one" arm)
check "--platform linux/arm64 keeps one manifest" \
  test "$(jq '.manifests | length' "$T/one/blobs/sha256/${one#sha256:}")" = 1
check "ocib digest prints the index digest" test "$("$OCIB" digest "$REPO:1" "${OCIB_ARGS[@]}")" = "$want"
OCIB_CA_FILE=$CA "$OCIB" inspect "$REPO:1" > "$T/inspect.out" 2> "$T/inspect.err" || { cat "$T/inspect.err"; fail "ocib inspect REF"; }
check "ocib inspect REF prints index, 2 manifests, 2 configs" test "$(wc -l < "$T/inspect.out")" = 5
check "ocib inspect REF: first line is the index" \
  test "sha256:$(head -1 "$T/inspect.out" | tr -d '\n' | sha256sum | cut -d' ' -f1)" = "$want"
check "ocib inspect REF: configs name both architectures" \
  test "$(tail -2 "$T/inspect.out" | jq -r .architecture | sort | tr '\n' ' ')" = "amd64 arm64 "

# copy: registry -> registry in the same registry mounts blobs; registry ->
# layout and layout -> layout keep the digest.
before=$(reg_log_sync)
out=$("$OCIB" copy "$REPO:1" "$REG/ocib/copy:2" "${OCIB_ARGS[@]}" 2> "$T/copy.err") || { cat "$T/copy.err"; die "copy failed"; }
check "copy registry->registry prints REF@digest" test "$out" = "$REG/ocib/copy:2@$want"
reg_log_since "$before" > "$T/copy.log"
check "copy within one registry mounted blobs (201 on POST ?mount=)" \
  grep -q '"POST /v2/ocib/copy/blobs/uploads/?mount=sha256.*" 201' "$T/copy.log"
check "copy within one registry uploaded no blob bytes" \
  bash -c "[ -s '$T/copy.log' ] && ! grep -q '\"PUT /v2/ocib/copy/blobs/uploads/' '$T/copy.log'"
out=$("$OCIB" copy "$REG/ocib/copy:2" "oci:$T/copied:c" "${OCIB_ARGS[@]}" 2>/dev/null)
check "copy registry->layout keeps the digest" test "$(layout_digest "$T/copied" c)" = "$want"
"$OCIB" copy "oci:$T/copied:c" "oci:$T/copied2:d" >/dev/null 2>&1
check "copy layout->layout keeps the digest" test "$(layout_digest "$T/copied2" d)" = "$want"

if [ "$MODE" = token ]; then
  check "token server saw a push scope for ocib/app" grep -q 'repository:ocib/app:pull,push' "$TOKEN_LOG"
fi
if [ "$MODE" = basic ] || [ "$MODE" = token ]; then
  "$OCIB" logout "$REG" 2>/dev/null
  check "logout removed the entry" bash -c "! grep -q '$REG' '$DOCKER_CONFIG/config.json'"
  if "$OCIB" push "oci:$IMG:v1" "$REG/ocib/other:1" "${OCIB_ARGS[@]}" > /dev/null 2> "$T/anon.err"; then
    fail "anonymous push succeeded"
  else
    rc=$?
    check "anonymous push exits 3 (auth)" test "$rc" = 3
    check "anonymous push error names the registry" grep -q "$REG" "$T/anon.err"
  fi
fi
finish
