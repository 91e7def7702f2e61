#!/usr/bin/env bash
# Creates the Swarm secrets of the stack (external secrets <stack>_<name>) from the files
# scripts/setup.sh generates in secrets/, so the single-host stack and the Swarm stack share them.
# Generates secrets/db_replication_password (only Patroni's standbys use it) if it is missing.
# An existing Swarm secret is kept (Swarm secrets are immutable): when its file changed since, this
# says so; rotating one is in docs/swarm.md ("Rotate a secret").
#
#   DOCKER=docker (or a DOCKER_HOST) scripts/swarm/secrets.sh      on a manager of the swarm
#   SWARM_STACK_NAME   the stack's name (default taskplatform); TP_SECRETS_DIR (default ./secrets)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
read -ra docker <<<"${DOCKER:-docker}"
stack=${SWARM_STACK_NAME:-taskplatform}
secrets_dir=${TP_SECRETS_DIR:-$TP_ROOT/secrets}

# secret name = file under secrets/ (compose.yaml's secrets, plus the replication password and the
# certificates of pgBackRest's TLS connections)
SECRET_FILES=(
  db_password=db_password
  redis_password=redis_password
  jwt_secret=jwt_secret
  smtp_url=smtp_url
  grafana_admin_password=grafana_admin_password
  tls_cert=tls/server.crt
  tls_key=tls/server.key
  db_replication_password=db_replication_password
  pgbackrest_ca=pgbackrest/ca.crt
  pgbackrest_member_crt=pgbackrest/member.crt
  pgbackrest_member_key=pgbackrest/member.key
  pgbackrest_repository_crt=pgbackrest/repository.crt
  pgbackrest_repository_key=pgbackrest/repository.key
)


[[ -d "$secrets_dir" ]] || die "$secrets_dir not found: run scripts/setup.sh first"
if [[ ! -s "$secrets_dir/db_replication_password" ]]; then
  (umask 077 && openssl rand -hex 32 | tr -d '\n' >"$secrets_dir/db_replication_password")
  log "generated secrets/db_replication_password"
fi

for entry in "${SECRET_FILES[@]}"; do
  name=${entry%%=*}
  file="$secrets_dir/${entry#*=}"
  [[ -s "$file" ]] || die "$file is missing or empty: run scripts/setup.sh (or generate-ssl.sh for tls/, generate-pgbackrest-certs.sh for pgbackrest/)"
  sum=$(sha256sum "$file" | cut -d' ' -f1)
  if known=$("${docker[@]}" secret inspect --format '{{index .Spec.Labels "org.taskplatform.sha256"}}' "${stack}_$name" 2>/dev/null); then
    if [[ "$known" == "$sum" ]]; then
      log "${stack}_$name exists"
    else
      warn "${stack}_$name exists but $file changed since: the stack keeps the old value (docs/swarm.md, Rotate a secret)"
    fi
    continue
  fi
  "${docker[@]}" secret create --label "org.taskplatform.stack=$stack" --label "org.taskplatform.sha256=$sum" \
    "${stack}_$name" "$file" >/dev/null
  log "created ${stack}_$name from ${file#"$TP_ROOT"/}"
done
