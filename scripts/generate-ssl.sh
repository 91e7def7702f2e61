#!/usr/bin/env bash
# Creates the proxy's TLS certificate: a local CA (kept across runs, so browsers that trust it keep
# trusting it) and a server certificate signed by it, with SANs for localhost, 127.0.0.1, ::1 and
# PUBLIC_HOSTNAME. Or installs a certificate you provide (--cert/--key).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/generate-ssl.sh [options]

Writes <out>/server.crt (certificate + CA), <out>/server.key, <out>/ca.crt, <out>/ca.key.
compose.yaml mounts server.crt and server.key into the proxy as the secrets tls_cert and tls_key.

Options:
  --out DIR          output directory (default: secrets/tls in the repository)
  --hostname NAME    extra DNS name or IP for the certificate (repeatable; PUBLIC_HOSTNAME from .env is added)
  --days N           server certificate validity in days (default: 397)
  --cert FILE        use this certificate (PEM, full chain) instead of generating one
  --key FILE         the private key for --cert
  --force            replace an existing server certificate (the CA is always kept)
  -h, --help         this help

Trust the local CA in your browser/OS by importing <out>/ca.crt, or use your own certificate with --cert/--key.
USAGE
}

out="$TP_ROOT/secrets/tls"
days=397
force=0
cert_in=""
key_in=""
names=()
while (($#)); do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --hostname) names+=("${2:?--hostname needs a name}"); shift 2 ;;
    --days) days=${2:?--days needs a number}; shift 2 ;;
    --cert) cert_in=${2:?--cert needs a file}; shift 2 ;;
    --key) key_in=${2:?--key needs a file}; shift 2 ;;
    --force) force=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
[[ "$days" =~ ^[0-9]+$ ]] || die "--days must be a number"
command -v openssl >/dev/null || die "openssl is required (apt-get install openssl)"
load_env

umask 077
mkdir -p "$out"
chmod 0700 "$out"
# The proxy runs as uid 101 and reads the bind-mounted files directly: they are world-readable, but only
# inside this 0700 directory (and secrets/ is 0700 too), so no other host user can reach them.
publish() { chmod 0644 "$@"; }

if [[ -n "$cert_in" || -n "$key_in" ]]; then
  [[ -n "$cert_in" && -n "$key_in" ]] || die "--cert and --key go together"
  [[ -r "$cert_in" ]] || die "cannot read $cert_in"
  [[ -r "$key_in" ]] || die "cannot read $key_in"
  openssl x509 -in "$cert_in" -noout 2>/dev/null || die "$cert_in is not a PEM certificate"
  cert_pub=$(openssl x509 -in "$cert_in" -noout -pubkey | openssl sha256)
  key_pub=$(openssl pkey -in "$key_in" -pubout | openssl sha256)
  [[ "$cert_pub" == "$key_pub" ]] || die "$key_in is not the key of $cert_in"
  if [[ -e "$out/server.crt" && $force -eq 0 ]]; then
    die "$out/server.crt exists; use --force to replace it"
  fi
  cp "$cert_in" "$out/server.crt"
  cp "$key_in" "$out/server.key"
  publish "$out/server.crt" "$out/server.key"
  log "installed $cert_in as $out/server.crt"
  exit 0
fi

if [[ -e "$out/server.crt" && $force -eq 0 ]]; then
  log "$out/server.crt exists (use --force to replace it)"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ ! -s "$out/ca.key" || ! -s "$out/ca.crt" ]]; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$out/ca.key" -out "$out/ca.crt" -days 3650 -sha256 \
    -subj "/O=TaskPlatform/CN=TaskPlatform local CA $(date -u +%Y-%m-%d)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  chmod 0600 "$out/ca.key"
  publish "$out/ca.crt"
  log "created local CA $out/ca.crt"
fi

# SANs: localhost, loopback addresses, PUBLIC_HOSTNAME, --hostname values (IP or DNS, de-duplicated).
names=(localhost 127.0.0.1 ::1 "${PUBLIC_HOSTNAME:-localhost}" "${names[@]}")
san=""
declare -A seen=()
for name in "${names[@]}"; do
  [[ -n "$name" && -z "${seen[$name]:-}" ]] || continue
  seen[$name]=1
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then
    san+="${san:+,}IP:$name"
  else
    san+="${san:+,}DNS:$name"
  fi
done
cn=${PUBLIC_HOSTNAME:-localhost}

openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$tmp/server.key" -out "$tmp/server.csr" -subj "/O=TaskPlatform/CN=$cn" 2>/dev/null
cat >"$tmp/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san
EXT
openssl x509 -req -in "$tmp/server.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
  -CAserial "$tmp/ca.srl" -out "$tmp/server.crt" -days "$days" -sha256 -extfile "$tmp/ext.cnf" 2>/dev/null
cat "$tmp/server.crt" "$out/ca.crt" >"$out/server.crt"
mv "$tmp/server.key" "$out/server.key"
publish "$out/server.crt" "$out/server.key"
log "created $out/server.crt for $san (valid $days days, signed by $out/ca.crt)"
