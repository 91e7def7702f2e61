#!/usr/bin/env bash
# First-time setup: checks prerequisites, creates .env from .env.example, generates secrets and the TLS
# certificate, builds the images. Safe to re-run: nothing existing is overwritten without --force.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/setup.sh [options]

  1. checks prerequisites (bash, openssl, a container engine with a compose tool)
  2. creates .env from .env.example if missing
  3. generates random secrets into secrets/ (directory 0700): db_password, redis_password,
     jwt_secret, grafana_admin_password; creates secrets/smtp_url without a server (edit it to send mail)
  4. creates the TLS certificate (scripts/generate-ssl.sh: a name-constrained local CA in secrets/ca,
     the server certificate in secrets/tls) and the certificates of pgBackRest's TLS connections in the
     three-node stack (scripts/generate-pgbackrest-certs.sh: secrets/pgbackrest, its CA in
     secrets/pgbackrest-ca)
  5. builds the images (compose build)

Options:
  --force          regenerate the secrets and the server certificate (see docs/production.md before
                   doing this on a deployment that already has data: PostgreSQL keeps its first password)
  --no-build       skip building the images (also skips the container engine check)
  --hostname NAME  extra certificate name (PUBLIC_HOSTNAME from .env is always included)
  -h, --help       this help

Then: ./scripts/deploy.sh   (or: podman-compose up -d / docker compose up -d)
USAGE
}

force=0
build=1
hostnames=()
while (($#)); do
  case "$1" in
    --force) force=1; shift ;;
    --no-build) build=0; shift ;;
    --hostname) hostnames+=(--hostname "${2:?--hostname needs a name}"); shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

# 1. prerequisites
missing=()
for tool in openssl sha256sum awk; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
((${#missing[@]} == 0)) || die "missing: ${missing[*]} (Debian/Ubuntu: apt-get install openssl coreutils gawk)"
if ((build)); then
  require_engine
  log "container engine: $ENGINE, compose: ${COMPOSE[*]}"
elif detect_engine && ((${#COMPOSE[@]})); then
  log "container engine: $ENGINE, compose: ${COMPOSE[*]}"
else
  warn "no container engine with a compose tool found; install podman + podman-compose or docker + compose before deploying"
fi

# 2. .env
if [[ -f "$TP_ROOT/.env" ]]; then
  log ".env exists, keeping it"
else
  cp "$TP_ROOT/.env.example" "$TP_ROOT/.env"
  log "created .env from .env.example (review PUBLIC_HOSTNAME and the ports)"
fi
load_env

# Rootless Podman cannot publish ports below net.ipv4.ip_unprivileged_port_start (default 1024).
if [[ "${ENGINE:-}" == podman && $(id -u) -ne 0 ]]; then
  start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
  for port in "${HTTP_PORT:-80}" "${HTTPS_PORT:-443}"; do
    if ((port < start)); then
      warn "rootless Podman cannot publish port $port (ip_unprivileged_port_start=$start): set HTTP_PORT/HTTPS_PORT in .env (e.g. 8080/8443) or lower the sysctl"
    fi
  done
fi

# 3. secrets
secrets="$TP_ROOT/secrets"
umask 077
mkdir -p "$secrets"
chmod 0700 "$secrets"
new_secret() {
  local name=$1 bytes=$2 file="$secrets/$1"
  if [[ -s "$file" && $force -eq 0 ]]; then
    log "secrets/$name exists, keeping it"
    return
  fi
  [[ -s "$file" ]] && warn "replacing secrets/$name (--force)"
  # hex: safe in URLs, config files and shells without quoting
  openssl rand -hex "$bytes" | tr -d '\n' >"$file.tmp"
  mv "$file.tmp" "$file"
  # Readable inside the 0700 directory only: the containers' non-root users read the bind-mounted file.
  chmod 0644 "$file"
  log "generated secrets/$name"
}
new_secret db_password 24
new_secret redis_password 24
new_secret jwt_secret 48
new_secret grafana_admin_password 16
# The SMTP server (docs/production.md#mail): smtps://user:password@host:465 or smtp://…:587 (STARTTLS).
# A blank line until you set one (podman refuses empty secrets): the API then writes mail to files.
if [[ ! -s "$secrets/smtp_url" ]]; then
  printf '\n' >"$secrets/smtp_url"
  chmod 0644 "$secrets/smtp_url"
  log "created secrets/smtp_url without a server: put smtps://user:password@host:465 in it to send mail"
fi

# 4. TLS
ssl_args=(--out "$secrets/tls" --ca-dir "$secrets/ca" "${hostnames[@]}")
((force)) && ssl_args+=(--force)
"$TP_ROOT/scripts/generate-ssl.sh" "${ssl_args[@]}"
# pgBackRest's TLS between the three-node stack's members and its repository (docs/swarm.md, Backups)
pgbackrest_args=()
((force)) && pgbackrest_args+=(--force)
"$TP_ROOT/scripts/generate-pgbackrest-certs.sh" "${pgbackrest_args[@]}"

# 5. images
if ((build)); then
  log "building images (first build downloads dependencies; later builds reuse the cached layers)"
  compose build
fi

log ""
log "setup complete. Next: ./scripts/deploy.sh"
log "Trust $secrets/tls/ca.crt in your browser/OS, or install your own certificate:"
log "  ./scripts/generate-ssl.sh --cert fullchain.pem --key privkey.pem --force"
