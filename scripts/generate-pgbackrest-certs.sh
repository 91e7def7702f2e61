#!/usr/bin/env bash
# Creates the certificates pgBackRest's TLS connections use in the three-node stack (docs/swarm.md, Backups):
# a private CA that only pgBackRest trusts, the repository host's certificate and one certificate the
# PostgreSQL members share. Each side is a server (`pgbackrest server`) and a client of the other: members
# push WAL to the repository, the repository takes backups from the members. Both sides check the peer's
# certificate against the CA and its name (tls-server-auth: CN "member" or "repository").
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/lib/certs.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/certs.sh"

CA_DAYS=3650
DAYS=825

usage() {
  cat <<USAGE
Usage: scripts/generate-pgbackrest-certs.sh [options]

Writes <out>/ca.crt, <out>/repository.{crt,key} (CN repository) and <out>/member.{crt,key} (CN member);
the CA's key stays in <ca-dir>. Existing files are kept unless --force.

Options:
  --out DIR            output directory (default: secrets/pgbackrest)
  --ca-dir DIR         the CA's directory (default: secrets/pgbackrest-ca)
  --repository NAME    the repository host's name (default: pgbackrest, its Swarm service)
  --member NAME        a member's name (repeatable; default: pg1 pg2 pg3)
  --force              replace the certificates and the CA
  -h, --help           this help
USAGE
}

out="$TP_ROOT/secrets/pgbackrest"
ca_dir="$TP_ROOT/secrets/pgbackrest-ca"
repository=pgbackrest
members=()
force=0
while (($#)); do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --ca-dir) ca_dir=${2:?--ca-dir needs a directory}; shift 2 ;;
    --repository) repository=${2:?--repository needs a name}; shift 2 ;;
    --member) members+=("${2:?--member needs a name}"); shift 2 ;;
    --force) force=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
((${#members[@]})) || members=(pg1 pg2 pg3)
command -v openssl >/dev/null || die "openssl is required (apt-get install openssl)"
for name in "$repository" "${members[@]}"; do
  [[ "$name" =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || die "not a host name: $name"
done

if [[ -s "$out/member.crt" && -s "$out/repository.crt" && $force -eq 0 ]]; then
  log "$out has the pgBackRest certificates (use --force to replace them)"
  exit 0
fi

umask 077
mkdir -p "$out" "$ca_dir"
chmod 0700 "$out" "$ca_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cert_new_ca "$tmp/ca.key" "$tmp/ca.crt" "$CA_DAYS" "TaskPlatform pgBackRest CA"

# leaf CN NAME…: a certificate for server and client use with the names as DNS SANs.
leaf() {
  local cn=$1 san
  shift
  san=$(printf 'DNS:%s,' "$@")
  cert_new_request "$tmp/$cn.key" "$tmp/$cn.csr" "$cn"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=${san%,}" >"$tmp/$cn.ext"
  cert_sign "$tmp" "$tmp/ca.srl" "$tmp/$cn.csr" "$tmp/$cn.ext" "$DAYS" "$tmp/$cn.crt"
}
leaf repository "$repository"
leaf member "${members[@]}"

mv "$tmp/ca.key" "$ca_dir/ca.key"
cp "$tmp/ca.crt" "$ca_dir/ca.crt"
for file in ca.crt repository.crt repository.key member.crt member.key; do
  mv "$tmp/$file" "$out/$file"
done
# pgBackRest refuses a key others can read (0600 for its owner; the Swarm secrets: root, group postgres, 0440)
chmod 0644 "$out"/*.crt
chmod 0600 "$out"/*.key
log "generated the pgBackRest CA and certificates in $out (repository: $repository; members: ${members[*]})"
