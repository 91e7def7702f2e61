#!/usr/bin/env bash
# Creates the proxy's TLS certificate: a local CA and a server certificate signed by it, with SANs for
# localhost, 127.0.0.1, ::1 and PUBLIC_HOSTNAME. Or installs a certificate you provide (--cert/--key).
#
# The local CA is one users add to their trust store, so it is made to be worth little to a thief:
#   - X.509 name constraints (critical): it can only vouch for the names of this installation (the
#     server certificate's DNS names and IP addresses), never for another site;
#   - CA_DAYS (730) of validity, server certificates at most 397 days and never past the CA;
#   - its key lives in its own directory (--ca-dir, secrets/ca), never beside the server key in the
#     directory the proxy's files come from (secrets/tls; compose, Quadlet and the cloud host mount only
#     server.crt and server.key from there).
# The CA is reused while it is constrained, covers every name and has 30 days left; otherwise (a new
# --hostname, an old unconstrained CA, expiry) a new one replaces it and the script says to re-import it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/lib/certs.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/certs.sh"

CA_DAYS=730
MAX_DAYS=397
# a CA with less than this left is replaced rather than reused
CA_MIN_DAYS_LEFT=30

usage() {
  cat <<USAGE
Usage: scripts/generate-ssl.sh [options]

Writes <out>/server.crt (certificate + CA), <out>/server.key and <out>/ca.crt (the CA certificate, for
your trust store), and keeps the CA itself (ca.crt + ca.key) in <ca-dir>, away from the server's files.
compose.yaml mounts server.crt and server.key into the proxy as the secrets tls_cert and tls_key.

Options:
  --out DIR          output directory (default: secrets/tls in the repository)
  --ca-dir DIR       the local CA's directory (default: secrets/ca in the repository; required with --out)
  --hostname NAME    extra DNS name or IP for the certificate (repeatable; PUBLIC_HOSTNAME from .env is added)
  --days N           server certificate validity in days (default and maximum: $MAX_DAYS)
  --cert FILE        use this certificate (PEM, full chain) instead of generating one
  --key FILE         the private key for --cert
  --force            replace an existing server certificate (the CA is kept while it still fits)
  -h, --help         this help

The local CA is name-constrained to these names, valid $CA_DAYS days, and replaced (with a message) when
the names change or it nears expiry. Trust it by importing <out>/ca.crt in your browser/OS, or use your
own certificate with --cert/--key.
USAGE
}

out="$TP_ROOT/secrets/tls"
ca_dir=""
out_given=0
days=$MAX_DAYS
force=0
cert_in=""
key_in=""
names=()
while (($#)); do
  case "$1" in
    --out) out=${2:?--out needs a directory}; out_given=1; shift 2 ;;
    --ca-dir) ca_dir=${2:?--ca-dir needs a directory}; shift 2 ;;
    --hostname) names+=("${2:?--hostname needs a name}"); shift 2 ;;
    --days) days=${2:?--days needs a number}; shift 2 ;;
    --cert) cert_in=${2:?--cert needs a file}; shift 2 ;;
    --key) key_in=${2:?--key needs a file}; shift 2 ;;
    --force) force=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
if ! [[ "$days" =~ ^[0-9]+$ ]] || ((days < 1)); then
  die "--days must be a number of days"
fi
((days <= MAX_DAYS)) || die "--days: at most $MAX_DAYS (what browsers accept for a server certificate)"
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

if [[ -z "$ca_dir" ]]; then
  ((out_given == 0)) || die "--out needs --ca-dir too: the CA key must not sit in the directory the proxy's files come from"
  ca_dir="$TP_ROOT/secrets/ca"
fi
mkdir -p "$ca_dir"
chmod 0700 "$ca_dir"
[[ "$(cd "$ca_dir" && pwd -P)" != "$(cd "$out" && pwd -P)" ]] || die "--ca-dir must not be the --out directory"

# Earlier versions kept the CA in <out>: move it out of the server's directory (even without --force).
if [[ -s "$out/ca.key" ]]; then
  if [[ -s "$ca_dir/ca.key" ]]; then
    rm -f "$out/ca.key"
    warn "removed $out/ca.key (the CA in $ca_dir is the one in use)"
  else
    mv "$out/ca.key" "$ca_dir/ca.key"
    cp "$out/ca.crt" "$ca_dir/ca.crt"
    warn "moved the CA key from $out to $ca_dir (it does not belong beside the server key)"
  fi
fi

if [[ -e "$out/server.crt" && $force -eq 0 ]]; then
  log "$out/server.crt exists (use --force to replace it)"
  if [[ -s "$ca_dir/ca.crt" ]] && ! openssl x509 -in "$ca_dir/ca.crt" -noout -ext nameConstraints 2>/dev/null | grep -q critical; then
    warn "the local CA in $ca_dir has no name constraints: run scripts/generate-ssl.sh --force to replace it with one that can only vouch for this installation's names"
  fi
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# SANs and name constraints: localhost, loopback addresses, PUBLIC_HOSTNAME, --hostname values (IP or DNS,
# de-duplicated).
names=(localhost 127.0.0.1 ::1 "${PUBLIC_HOSTNAME:-localhost}" "${names[@]}")
san=""
permitted=""
declare -A seen=()
for name in "${names[@]}"; do
  name=$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]')
  [[ -n "$name" && -z "${seen[$name]:-}" ]] || continue
  seen[$name]=1
  if [[ "$name" =~ ^[0-9.]+$ ]]; then
    san+="${san:+,}IP:$name"
    permitted+="${permitted:+,}permitted;IP:$name/255.255.255.255"
  elif [[ "$name" == *:* ]]; then
    san+="${san:+,}IP:$name"
    permitted+="${permitted:+,}permitted;IP:$name/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
  elif [[ "$name" =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]]; then
    san+="${san:+,}DNS:$name"
    permitted+="${permitted:+,}permitted;DNS:$name"
  else
    die "not a host name or IP address: $name"
  fi
done
cn=${PUBLIC_HOSTNAME:-localhost}

cert_new_request "$tmp/server.key" "$tmp/server.csr" "$cn"
cat >"$tmp/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san
EXT

new_ca() {
  cert_new_ca "$tmp/ca.key" "$tmp/ca.crt" "$CA_DAYS" "TaskPlatform local CA" \
    -addext "nameConstraints=critical,$permitted"
  chmod 0600 "$tmp/ca.key"
  mv "$tmp/ca.key" "$ca_dir/ca.key"
  mv "$tmp/ca.crt" "$ca_dir/ca.crt"
}

# Signs the server certificate for at most $days days and never past the CA's own end.
sign() {
  local ca_end ca_left leaf_days=$days
  ca_end=$(date -u -d "$(openssl x509 -in "$ca_dir/ca.crt" -noout -enddate | cut -d= -f2)" +%s)
  ca_left=$(((ca_end - $(date -u +%s)) / 86400 - 1))
  ((ca_left < leaf_days)) && leaf_days=$ca_left
  cert_sign "$ca_dir" "$tmp/ca.srl" "$tmp/server.csr" "$tmp/ext.cnf" "$leaf_days" "$tmp/server.crt"
  signed_days=$leaf_days
}

# Reuse the CA only if it is name-constrained, has time left and its constraints permit every name
# (openssl verify enforces them on the new certificate).
reuse=0
if [[ -s "$ca_dir/ca.key" && -s "$ca_dir/ca.crt" ]]; then
  old_subject=$(openssl x509 -in "$ca_dir/ca.crt" -noout -subject | sed 's/^subject= *//')
  if ! openssl x509 -in "$ca_dir/ca.crt" -noout -ext nameConstraints 2>/dev/null | grep -q 'critical'; then
    warn "the local CA \"$old_subject\" has no name constraints (made by an older version): replacing it"
  elif ! openssl x509 -in "$ca_dir/ca.crt" -noout -checkend $((CA_MIN_DAYS_LEFT * 86400)) >/dev/null; then
    warn "the local CA \"$old_subject\" expires within $CA_MIN_DAYS_LEFT days: replacing it"
  else
    sign
    if openssl verify -CAfile "$ca_dir/ca.crt" "$tmp/server.crt" >/dev/null 2>&1; then
      reuse=1
    else
      warn "the local CA \"$old_subject\" does not cover every name ($san): replacing it"
    fi
  fi
  if ((reuse == 0)); then
    warn "import the new $out/ca.crt into your trust stores and remove \"$old_subject\" from them"
  fi
fi
if ((reuse == 0)); then
  new_ca
  log "created local CA $ca_dir/ca.crt (name-constrained to $san, valid $CA_DAYS days)"
  sign
fi
openssl verify -CAfile "$ca_dir/ca.crt" "$tmp/server.crt" >/dev/null || die "the new certificate does not verify against $ca_dir/ca.crt"

cat "$tmp/server.crt" "$ca_dir/ca.crt" >"$out/server.crt"
cp "$ca_dir/ca.crt" "$out/ca.crt"
mv "$tmp/server.key" "$out/server.key"
publish "$out/server.crt" "$out/server.key" "$out/ca.crt"
log "created $out/server.crt for $san (valid $signed_days days, signed by $ca_dir/ca.crt)"
