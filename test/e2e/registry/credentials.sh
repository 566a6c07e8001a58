#!/usr/bin/env bash
# Credentials where podman keeps them, most specific key first, and a user
# who may not push told apart from one whose credentials are wrong: a token
# registry (tokenserver.py: "ocib" may push anywhere, "reader" only pulls)
# and ~/.config/containers/auth.json with a host entry for reader and a
# namespace entry "REG/team" for ocib.
source "$(dirname "$0")/lib.sh"
need skopeo jq python3
reg_start token-http
export OCIB_INSECURE_REGISTRY=$REG
IMG=$T/img
want=$(make_image "$IMG" v1)

export HOME=$T/home
unset XDG_CONFIG_HOME REGISTRY_AUTH_FILE
export XDG_RUNTIME_DIR=$T/no-runtime-dir
mkdir -p "$HOME/.config/containers" "$DOCKER_CONFIG"
rm -f "$DOCKER_CONFIG/config.json"
b64() { printf '%s' "$1" | base64 -w0; }
printf '{"auths":{"%s":{"auth":"%s"},"%s/team":{"auth":"%s"}}}\n' \
  "$REG" "$(b64 reader:readerpass)" "$REG" "$(b64 ocib:ocibpass)" > "$HOME/.config/containers/auth.json"

# The namespace's entry pushes.
out=$("$OCIB" push "oci:$IMG:v1" "$REG/team/app:1" 2> "$T/team.err") || { cat "$T/team.err"; die "push to team/ failed"; }
check "push to REG/team/app with the namespace's credential" test "$out" = "$REG/team/app:1@$want"
check "the token server saw user ocib for team/app" \
  grep -q '"user": "ocib"' <(grep 'repository:team/app' "$TOKEN_LOG")
got=$(skopeo inspect --tls-verify=false --creds reader:readerpass --raw "docker://$REG/team/app:1" | sha256sum | cut -d' ' -f1)
check "skopeo reads the pushed image back" test "sha256:$got" = "$want"

# Elsewhere the host's entry (reader) applies: accepted, but may not push.
set +e
"$OCIB" push "oci:$IMG:v1" "$REG/other/app:1" > "$T/other.out" 2> "$T/other.err"; rc=$?
set -e
check "push to REG/other/app as reader exits 3 (got $rc)" test "$rc" = 3
check "the error says reader may not push to REG/other/app" \
  grep -qF "were accepted but may not push to $REG/other/app" "$T/other.err"
check "the error does not call the credentials rejected" bash -c "! grep -q rejected '$T/other.err'"
check "no secret in the error" bash -c "! grep -Eq 'readerpass|$(b64 reader:readerpass)' '$T/other.err'"
check "the token server saw user reader for other/app" \
  grep -q '"user": "reader"' <(grep 'repository:other/app' "$TOKEN_LOG")
# reader may pull what ocib pushed.
out=$("$OCIB" pull "$REG/team/app:1" "oci:$T/pulled:v1" 2> "$T/pull.err") || { cat "$T/pull.err"; die "pull failed"; }
check "pull through the namespace's credential" grep -q "$want" <<<"$out"

# A wrong password is "rejected", not "may not".
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(b64 reader:wrong)" > "$HOME/.config/containers/auth.json"
set +e
"$OCIB" push "oci:$IMG:v1" "$REG/other/app:1" > /dev/null 2> "$T/wrong.err"; rc=$?
set -e
check "wrong password exits 3 (got $rc)" test "$rc" = 3
check "wrong password: credentials rejected" grep -qF "credentials for $REG rejected" "$T/wrong.err"
finish
