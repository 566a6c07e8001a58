# Shared helpers for ocib's registry end-to-end tests (sourced by bash).
#
# Starts Debian's docker-registry (distribution 2.8.2) on 127.0.0.1 under a
# scratch directory, optionally behind TLS (a CA made here), htpasswd Basic
# auth, or token auth (tokenserver.py). Everything started is recorded in
# $T/pids and killed by PID on exit.
#
# Environment from ctest: OCIB (the binary), OCIB_TEST_TMP (scratch dir).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OCIB=${OCIB:?set OCIB to the ocib binary}
T=${OCIB_TEST_TMP:-$(mktemp -d /tmp/ocib-e2e.XXXXXX)}
rm -rf "$T"
mkdir -p "$T"
: > "$T/pids"
export DOCKER_CONFIG=$T/docker-config
export REGISTRY_AUTH_FILE=$T/no-auth.json
unset XDG_RUNTIME_DIR SSL_CERT_FILE OCIB_INSECURE_REGISTRY OCIB_CA_FILE HTTPS_PROXY https_proxy HTTP_PROXY http_proxy || true
export NO_PROXY='*'
# Per-host TLS directories: none unless a test makes them (never the host's
# /etc/docker/certs.d).
export OCIB_CERTS_D_DIRS=$T/no-certs.d
# Each test starts with its own empty layer and base cache.
export XDG_CACHE_HOME=$T/xdg-cache

FAILS=0
cleanup() {
  local pid
  while read -r pid; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done < "$T/pids"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
die() { echo "FATAL: $*" >&2; exit 1; }
check() { # DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
  if [ "$FAILS" -ne 0 ]; then echo "$FAILS check(s) failed" >&2; exit 1; fi
  echo "all checks passed"
}

need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null || { echo "SKIP: $c not installed (apt-get install it)"; exit 77; }
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # URL CURLARGS... (bounded: 100 x 0.1 s)
  local url=$1; shift
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "$@" "$url"; then return 0; fi
    sleep 0.1
  done
  return 1
}

make_ca() { # DIR: ca.crt/ca.key and server.crt/server.key for 127.0.0.1 + localhost
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=ocib e2e CA" -keyout "$d/ca.key" -out "$d/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1,DNS:localhost' > "$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
}

# make_client_cert DIR: a client CA (client-ca.crt) and a client certificate
# it signed (client.cert, client.key), as docker's certs.d names them.
make_client_cert() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=ocib e2e client CA" -keyout "$d/client-ca.key" -out "$d/client-ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=ocib e2e client" \
    -keyout "$d/client.key" -out "$d/client.csr" 2>/dev/null
  printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=clientAuth' > "$d/client.ext"
  openssl x509 -req -in "$d/client.csr" -CA "$d/client-ca.crt" -CAkey "$d/client-ca.key" \
    -CAcreateserial -days 2 -extfile "$d/client.ext" -out "$d/client.cert" 2>/dev/null
}

# reg_start MODE: http | https | basic | basic-http | token | token-http.
# Deletes are allowed (storage: delete: enabled: true) unless REG_DELETE=false.
# Sets REG (127.0.0.1:PORT), REG_URL, REG_DIR, REG_LOG, CA (TLS modes),
# CERTDIR (for skopeo), TOKEN_LOG (token modes), SKOPEO_TLS (skopeo flags).
# With REG_CLIENT_DIR=DIR (made by make_client_cert) set, a TLS registry
# requires client certificates signed by DIR/client-ca.crt (clientcas).
reg_start() {
  local mode=$1
  need docker-registry openssl curl
  local port; port=$(free_port)
  REG_DIR=$T/registry-$mode-$port
  mkdir -p "$REG_DIR/data"
  local scheme=https tlsblock="" authblock="" curlargs=()
  if [ "$mode" = http ] || [ "$mode" = token-http ] || [ "$mode" = basic-http ]; then scheme=http; fi
  CA=""; CERTDIR=""
  if [ $scheme = https ]; then
    make_ca "$REG_DIR/tls"
    CA=$REG_DIR/tls/ca.crt
    CERTDIR=$REG_DIR/certs.d; mkdir -p "$CERTDIR"; cp "$CA" "$CERTDIR/ca.crt"
    tlsblock="  tls:
    certificate: $REG_DIR/tls/server.crt
    key: $REG_DIR/tls/server.key"
    curlargs=(--cacert "$CA")
    if [ -n "${REG_CLIENT_DIR:-}" ]; then
      tlsblock="$tlsblock
    clientcas:
      - $REG_CLIENT_DIR/client-ca.crt"
      curlargs+=(--cert "$REG_CLIENT_DIR/client.cert" --key "$REG_CLIENT_DIR/client.key")
    fi
    SKOPEO_TLS="--cert-dir=$CERTDIR"
  else
    SKOPEO_TLS="--tls-verify=false"
  fi
  case $mode in
    basic|basic-http)
      need htpasswd
      htpasswd -Bbc "$REG_DIR/htpasswd" ocib ocibpass 2>/dev/null
      htpasswd -Bb "$REG_DIR/htpasswd" reader readerpass 2>/dev/null
      authblock="auth:
  htpasswd:
    realm: ocib-registry
    path: $REG_DIR/htpasswd" ;;
    token|token-http)
      local tport; tport=$(free_port)
      mkdir -p "$REG_DIR/token"
      openssl genrsa -out "$REG_DIR/token/token.key" 2048 2>/dev/null
      openssl req -x509 -new -key "$REG_DIR/token/token.key" -days 2 -subj "/CN=ocib token signer" \
        -addext keyUsage=critical,digitalSignature -out "$REG_DIR/token/token.crt" 2>/dev/null
      local targs=(--port "$tport" --key "$REG_DIR/token/token.key" --cert "$REG_DIR/token/token.crt"
                   --service ocib-registry --issuer ocib-e2e ${TOKEN_ARGS:-})
      [ $scheme = https ] && targs+=(--tls-cert "$REG_DIR/tls/server.crt" --tls-key "$REG_DIR/tls/server.key")
      TOKEN_LOG=$REG_DIR/tokenserver.log
      python3 "$HERE/tokenserver.py" "${targs[@]}" > /dev/null 2> "$TOKEN_LOG" &
      echo $! >> "$T/pids"
      wait_http "$scheme://127.0.0.1:$tport/healthz" "${curlargs[@]}" || die "token server did not start"
      authblock="auth:
  token:
    realm: $scheme://127.0.0.1:$tport/token
    service: ocib-registry
    issuer: ocib-e2e
    rootcertbundle: $REG_DIR/token/token.crt" ;;
  esac
  cat > "$REG_DIR/config.yml" <<YML
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: ${REG_DELETE:-true}
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: e2e-$port
$tlsblock
$authblock
YML
  REG_LOG=$REG_DIR/registry.log
  # REGISTRY_* variables are configuration overrides for the registry.
  env -u REGISTRY_AUTH_FILE docker-registry serve "$REG_DIR/config.yml" > "$REG_LOG" 2>&1 &
  echo $! >> "$T/pids"
  wait_http "$scheme://127.0.0.1:$port/v2/" "${curlargs[@]}" || { tail -5 "$REG_LOG" >&2; die "registry did not start"; }
  REG=127.0.0.1:$port
  REG_URL=$scheme://$REG
  REG_CURL_ARGS=("${curlargs[@]}")
}

# reg_log_sync [LOG [URL]]: sends a marker request to the registry at URL
# (default $REG_URL) and waits until LOG (default $REG_LOG) holds it, so every
# request made before is logged; prints the marker's line number. The access
# log is written after each response: a fixed sleep would be a guess.
reg_log_sync() {
  local log=${1:-$REG_LOG} url=${2:-$REG_URL} mark="ocib-log-sync-$RANDOM$RANDOM" n
  curl -s -o /dev/null "${REG_CURL_ARGS[@]}" "$url/v2/$mark/tags/list" || die "marker request to $url failed"
  for _ in $(seq 1 100); do
    # The access log line ("GET /v2/... HTTP/1.1" STATUS), not the
    # application log line the registry also writes for the request.
    n=$(grep -n -F "\"GET /v2/$mark/tags/list " "$log" | head -1 | cut -d: -f1)
    if [ -n "$n" ]; then echo "$n"; return 0; fi
    sleep 0.1
  done
  die "the registry did not log the marker request $mark in $log"
}

# reg_log_since BEFORE [LOG [URL]]: the lines LOG got after line BEFORE (a
# reg_log_sync result), once every request made so far is logged; the
# markers themselves are left out.
reg_log_since() {
  local log=${2:-$REG_LOG} end
  end=$(reg_log_sync "$log" "${3:-$REG_URL}")
  sed -n "$(($1 + 1)),$((end - 1))p" "$log"
}

# proxy_start UPSTREAM_HOSTPORT RULES_FILE: starts faultproxy.py; sets PROXY
# (127.0.0.1:PORT) and PROXY_LOG.
proxy_start() {
  local port; port=$(free_port)
  PROXY=127.0.0.1:$port
  PROXY_LOG=$T/proxy-$port.log
  python3 "$HERE/faultproxy.py" --port "$port" --upstream "$1" --rules "$2" --log "$PROXY_LOG" 2> "$T/proxy-$port.err" &
  echo $! >> "$T/pids"
  wait_http "http://$PROXY/healthz" || die "proxy did not start"
}

# make_image DIR TAG [ARGS]: a two-platform layout; prints the index digest.
make_image() { python3 "$HERE/make_layout.py" "$@"; }
# hello_binaries ARCH...: fixtures/go/hello built for linux/ARCH as $T/hello-ARCH
# (static, reproducible, no network; Go's cache shared between tests).
hello_binaries() {
  local arch
  for arch in "$@"; do
    (cd "$OCIB_SOURCE_DIR/fixtures/go/hello" && CGO_ENABLED=0 GOOS=linux GOARCH=$arch GOFLAGS=-mod=mod GOPROXY=off \
       GOCACHE="${OCIB_GOCACHE:-${OCIB_BINARY_DIR:-$T}/gocache}" GOPATH="$T/gopath" \
       go build -trimpath -buildvcs=false -ldflags="-buildid=" -o "$T/hello-$arch" .) || die "go build linux/$arch failed"
  done
}

# The digest of a layout's tagged root.
layout_digest() { # DIR TAG
  jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t) | .digest' "$1/index.json"
}
