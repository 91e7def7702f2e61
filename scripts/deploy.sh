#!/usr/bin/env bash
# Builds (or pulls), starts the stack, waits until every container is healthy and prints status and URLs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/deploy.sh [options] [SERVICE...]

Starts every service, or only the SERVICEs named (and what they depend on), e.g. when podman-compose,
which ignores compose profiles, should leave the optional monitoring services out.

Options:
  --no-build        do not build the project's images (use the ones present)
  --pull            pull the third-party images first
  --replicas N      API replicas (default: API_REPLICAS from .env, else 2)
  --timeout SEC     how long to wait for every service to be healthy (default: DEPLOY_TIMEOUT, else 180)
  --no-wait         start and return without waiting
  -h, --help        this help

Engine: a reachable Docker daemon, else Podman; force one with TP_ENGINE=docker|podman.
USAGE
}

load_env
build=1
pull=0
wait=1
replicas=${API_REPLICAS:-2}
timeout=${DEPLOY_TIMEOUT:-180}
services=()
while (($#)); do
  case "$1" in
    --no-build) build=0; shift ;;
    --pull) pull=1; shift ;;
    --replicas) replicas=${2:?--replicas needs a number}; shift 2 ;;
    --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
    --no-wait) wait=0; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option: $1" ;;
    *) services+=("$1"); shift ;;
  esac
done
[[ "$replicas" =~ ^[1-9][0-9]*$ ]] || die "--replicas must be a positive number"
[[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout must be seconds"

require_engine
[[ -f "$TP_ROOT/.env" ]] || die "no .env: run ./scripts/setup.sh first"
for secret in db_password redis_password jwt_secret smtp_url grafana_admin_password tls/server.crt tls/server.key; do
  [[ -s "$TP_ROOT/secrets/$secret" ]] || die "missing secrets/$secret: run ./scripts/setup.sh first"
done
log "engine: $ENGINE, compose: ${COMPOSE[*]}, project: $(project_name)"

if ((pull)); then
  log "pulling images"
  compose pull --ignore-pull-failures || warn "some images could not be pulled (the project's own are built locally)"
fi
if ((build)); then
  log "building images"
  compose build "${services[@]}"
fi
# Migrations first (run_migrations, scripts/lib.sh), when the api or the proxy is among what starts.
migrate=$((${#services[@]} == 0))
for service in "${services[@]}"; do [[ "$service" == api || "$service" == proxy ]] && migrate=1; done
((migrate)) && run_migrations

# node-exporter's textfile directory (backup metrics of scripts/backup.sh): Podman refuses a missing bind source
mkdir -p "$TP_ROOT/backups/metrics"
log "starting ${services[*]:-the stack} (api replicas: $replicas)"
compose up -d --no-build --scale "api=$replicas" "${services[@]}"

# nginx older than 1.27.3 resolves the api name only at (re)load; the shipped 1.28 re-resolves by itself.
reload_proxy || true

# podman-compose 1.0.3 ignores --scale: say so instead of silently running fewer replicas.
running_apis=$(service_containers api | grep -c . || true)
if [[ " ${services[*]:-api} " == *" api "* ]] && ((running_apis < replicas)); then
  warn "$running_apis api container(s) running, $replicas asked for: ${COMPOSE[*]} ignores --scale (podman-compose 1.0.3 does). Use docker compose, a newer podman-compose, or the Quadlet units in systemd/ for several replicas."
fi

# Prints the probe output (Docker) and the last log lines of each "<name> <state>" line on stdin.
explain() {
  local name state
  while read -r name state; do
    log "  $name: $state"
    if [[ "$ENGINE" == docker ]]; then
      "$ENGINE" inspect -f '{{if .State.Health}}{{range .State.Health.Log}}{{.Output}}{{end}}{{end}}' "$name" </dev/null 2>/dev/null |
        tail -n 3 | sed 's/^/      /' >&2 || true
    fi
    "$ENGINE" logs --tail 5 "$name" </dev/null 2>&1 | sed 's/^/      /' >&2 || true
  done
}

if ((wait)); then
  log "waiting up to ${timeout}s for every service to be healthy"
  start=$SECONDS
  previous_bad=""
  while :; do
    states=$(container_states)
    pending=$(awk '$2 != "healthy" && $2 != "running" && $2 != "completed"' <<<"$states")
    [[ -n "$states" && -z "$pending" ]] && break
    # Broken (unhealthy, crash-looping, exited) in two checks in a row: fail now, not at the timeout.
    bad=""
    while read -r name state; do
      [[ -n "$name" ]] && bad_state "$state" && bad+="$name $state"$'\n'
    done <<<"$pending"
    if [[ -n "$bad" && -n "$previous_bad" ]]; then
      broken=$(comm -12 <(sort <<<"$bad") <(sort <<<"$previous_bad") | grep . || true)
      if [[ -n "$broken" ]]; then
        log ""
        log "BROKEN after $((SECONDS - start))s (not waiting for the timeout):"
        explain <<<"$broken"
        die "deploy failed: $(awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }' <<<"$broken") (${COMPOSE[*]} logs SERVICE)"
      fi
    fi
    previous_bad=$bad
    if ((SECONDS - start >= timeout)); then
      log ""
      log "NOT HEALTHY after ${timeout}s:"
      explain <<<"$pending"
      die "deploy incomplete: see the services above (${COMPOSE[*]} logs SERVICE)"
    fi
    sleep 3
  done
  log "all $(wc -l <<<"$states" | tr -d ' ') containers healthy after $((SECONDS - start))s"
fi
# WAL archiving needs pgBackRest's stanza (idempotent; scripts/backup.sh takes the first full backup)
if postgres_ctr=$(service_containers postgres | head -n 1) && [[ -n "$postgres_ctr" ]]; then
  "$ENGINE" exec "$postgres_ctr" pgbackrest --stanza=taskplatform stanza-create </dev/null >&2 ||
    warn "pgBackRest stanza-create failed: WAL is not archived until it succeeds (scripts/backup.sh retries it)"
fi

compose ps || true
https_port=${HTTPS_PORT:-443}
host=${PUBLIC_HOSTNAME:-localhost}
suffix=""
[[ "$https_port" == 443 ]] || suffix=":$https_port"
log ""
log "TaskPlatform:  https://$host$suffix/"
log "Grafana:       http://${GRAFANA_BIND:-127.0.0.1}:${GRAFANA_PORT:-3001}/  (admin / secrets/grafana_admin_password)"
log "Prometheus:    http://${PROMETHEUS_BIND:-127.0.0.1}:${PROMETHEUS_PORT:-9090}/"
log "Smoke test:    ./scripts/test-complete.sh"
