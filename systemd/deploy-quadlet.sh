#!/usr/bin/env bash
# Runs TaskPlatform as rootless systemd services with Podman Quadlet (Podman >= 5.0, see README.md).
#
#   systemd/deploy-quadlet.sh install     build images, create podman secrets, install units, start, wait healthy
#   systemd/deploy-quadlet.sh status      units + container health
#   systemd/deploy-quadlet.sh logs [SVC]  journald logs (all services, or one: postgres, redis, api, proxy, ...)
#   systemd/deploy-quadlet.sh uninstall   stop and remove units and secrets; keeps volumes unless --purge
#   systemd/deploy-quadlet.sh render DIR  write the rendered units to DIR (what install would install)
#   systemd/deploy-quadlet.sh backup      database backup with rotation (run by taskplatform-backup.service)
#   systemd/deploy-quadlet.sh restore F   restore the database from a backup file
#   systemd/deploy-quadlet.sh upgrade     replace the API replicas one at a time, health-gated, with rollback
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../scripts/lib.sh
source "$SELF_DIR/../scripts/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/pg-backup.sh
source "$SELF_DIR/../scripts/lib/pg-backup.sh"
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/pitr.sh
source "$SELF_DIR/../scripts/lib/pitr.sh"
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/wait-healthy.sh
source "$SELF_DIR/../scripts/lib/wait-healthy.sh"
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/upgrade.sh
source "$SELF_DIR/../scripts/lib/upgrade.sh"

MIN_PODMAN="5.0"
ME=$(id -un)
UNIT_PREFIX="taskplatform"
ENGINE=podman # for scripts/lib/upgrade.sh
QUADLET_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/containers/systemd"
SYSTEMD_USER_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
# Files that are plain systemd units (not Quadlet): installed to the systemd user directory.
PLAIN_UNIT_RE='\.(target|service|timer)$'
QUADLET_RE='\.(container|network|volume)$'
# podman secret "taskplatform-NAME" <- file (relative to the repository), as compose.yaml's `secrets:`.
SECRET_FILES=(
  db_password=secrets/db_password
  redis_password=secrets/redis_password
  jwt_secret=secrets/jwt_secret
  smtp_url=secrets/smtp_url
  grafana_admin_password=secrets/grafana_admin_password
  tls_cert=secrets/tls/server.crt
  tls_key=secrets/tls/server.key
)

usage() {
  cat <<'USAGE'
Usage: systemd/deploy-quadlet.sh COMMAND [options]

Commands:
  install [--no-build] [--no-start]   check Podman (>= 5.0) and systemd, build the images, create podman
                                      secrets from secrets/, install the units for this user, daemon-reload,
                                      enable + start taskplatform.target and wait until every service is healthy
  status                              state of the units and health of the containers
  logs [SERVICE] [-f] [-n LINES]      journald logs of one service (postgres, redis, api, proxy, ...) or all
  uninstall [--purge]                 stop, disable and remove the units and podman secrets; volumes (your
                                      data) are kept unless --purge
  render DIR [--env-file FILE]        write the rendered units to DIR without installing anything
  backup                              pg_dump -Fc into BACKUP_DIR (+ .sha256), keep the newest BACKUP_RETENTION;
                                      same format as scripts/backup.sh
  restore FILE [--skip-checksum]      restore a backup archive in one transaction (api/proxy stopped meanwhile)
  restore --to TIME|latest            point-in-time recovery from the pgBackRest repository (checks first;
                                      api/proxy and postgres stopped meanwhile; see scripts/restore.sh)
  upgrade [--image TAG] [--no-build] [--timeout SEC] [--canary SEC] [--max-5xx RATIO] [--dry-run]
                                      replace the API replicas with localhost/taskplatform-api:TAG one at a
                                      time: out of the proxy's upstream, stopped (drained), started on the
                                      new image, health-gated, back in, canary; on failure the previous
                                      image comes back on every replaced replica and it exits 3
  -h, --help                          this help

Settings come from .env (copy of .env.example made by scripts/setup.sh). Run as the user that should own
the services (not root); enable lingering so they run without a login: sudo loginctl enable-linger "$USER".
USAGE
}

# ---------------------------------------------------------------------------------------------- helpers

version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

unit_sources() {
  local f
  for f in "$SELF_DIR"/*; do
    [[ -f "$f" ]] || continue
    if [[ "$f" =~ $QUADLET_RE || "$f" =~ $PLAIN_UNIT_RE ]]; then printf '%s\n' "$f"; fi
  done
}

# Compose service names of the container units (taskplatform-NAME.container -> NAME).
container_services() {
  local f name
  while IFS= read -r f; do
    [[ "$f" == *.container ]] || continue
    name=${f##*/}
    name=${name%.container}
    printf '%s\n' "${name#"$UNIT_PREFIX"-}"
  done < <(unit_sources)
}

# Compose profile of an optional unit ("# profile: NAME" line), empty for always-on services.
unit_profile() {
  local line
  while IFS= read -r line; do
    if [[ "$line" =~ ^#\ profile:\ ([a-z0-9_-]+)$ ]]; then
      printf '%s\n' "${BASH_REMATCH[1]}"
      return 0
    fi
  done <"$SELF_DIR/$UNIT_PREFIX-$1.container"
}

# API_REPLICAS (as compose's `--scale api=N`): taskplatform-api.container is replica 1; render writes
# taskplatform-api-2.container … -N.container, copies that differ only in the container name.
api_replicas() {
  local n=${API_REPLICAS:-2} # the default of scripts/deploy.sh
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "API_REPLICAS must be a positive number, got '$n'"
  printf '%s\n' "$n"
}

# Services the target starts: every always-on service, the extra API replicas, and the optional ones
# whose profile is in COMPOSE_PROFILES.
enabled_services() {
  local svc profile i
  while IFS= read -r svc; do
    profile=$(unit_profile "$svc")
    if [[ -z "$profile" || ",${COMPOSE_PROFILES:-}," == *",$profile,"* ]]; then printf '%s\n' "$svc"; fi
  done < <(container_services)
  local replicas
  replicas=$(api_replicas)
  for ((i = 2; i <= replicas; i++)); do printf 'api-%s\n' "$i"; done
}

# Replaces ${NAME} and ${NAME:-default} with the environment (after .env); TP_ROOT is the repository.
render_text() {
  local rest=$1 out="" match name has_default default value
  local re='\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}'
  while [[ "$rest" =~ $re ]]; do
    match=${BASH_REMATCH[0]}
    name=${BASH_REMATCH[1]}
    has_default=${BASH_REMATCH[2]}
    default=${BASH_REMATCH[3]}
    if [[ -n "${!name:-}" ]]; then
      value=${!name}
    elif [[ -n "$has_default" ]]; then
      value=$default
    else
      die "unit placeholder \${$name} has no value: set $name in .env"
    fi
    [[ "$value" != *$'\n'* ]] || die "$name contains a newline"
    out+=${rest%%"$match"*}$value
    rest=${rest#*"$match"}
  done
  printf '%s' "$out$rest"
}

render_units() {
  local dir=$1 f content svc profile dropin
  mkdir -p "$dir"
  while IFS= read -r f; do
    content=""
    IFS= read -r -d '' content <"$f" || true # whole file, trailing newline kept, no subshell
    render_text "$content" >"$dir/${f##*/}"
  done < <(unit_sources)
  # extra API replicas
  local i replicas
  replicas=$(api_replicas)
  for ((i = 2; i <= replicas; i++)); do
    {
      printf '# generated by deploy-quadlet.sh: replica %s of taskplatform-api.container (API_REPLICAS=%s)\n' "$i" "$replicas"
      sed -e "s/^ContainerName=$UNIT_PREFIX-api\$/ContainerName=$UNIT_PREFIX-api-$i/" \
        -e "s/^Description=\(.*\)\$/Description=\1 (replica $i)/" "$dir/$UNIT_PREFIX-api.container"
    } >"$dir/$UNIT_PREFIX-api-$i.container"
  done
  # optional services (compose profiles) named in COMPOSE_PROFILES join the target
  mkdir -p "$dir/taskplatform.target.d"
  dropin="$dir/taskplatform.target.d/50-profiles.conf"
  printf '# generated by deploy-quadlet.sh from COMPOSE_PROFILES=%s\n[Unit]\n' "${COMPOSE_PROFILES:-}" >"$dropin"
  while IFS= read -r svc; do
    profile=$(unit_profile "$svc")
    [[ -n "$profile" ]] || continue
    if [[ ",${COMPOSE_PROFILES:-}," == *",$profile,"* ]]; then
      printf 'Wants=%s\nAfter=%s\n' "$UNIT_PREFIX-$svc.service" "$UNIT_PREFIX-$svc.service" >>"$dropin"
    fi
  done < <(container_services)
}

load_settings() {
  local env_file=${1:-${TP_ENV_FILE:-}}
  if [[ -n "$env_file" ]]; then
    [[ -f "$env_file" ]] || die "no such env file: $env_file"
    TP_ENV_FILE=$env_file load_env
  else
    [[ -f "$TP_ROOT/.env" ]] || die "$TP_ROOT/.env is missing: run ./scripts/setup.sh first"
    load_env
  fi
  export TP_ROOT
  api_replicas >/dev/null
}

quadlet_generator() {
  local g
  # QUADLET_GENERATOR: where a distribution (or a test) keeps the generator elsewhere
  for g in ${QUADLET_GENERATOR:-} /usr/libexec/podman/quadlet /usr/lib/podman/quadlet; do
    [[ -x "$g" ]] && {
      printf '%s\n' "$g"
      return 0
    }
  done
  return 1
}

check_host() {
  [[ "$(id -u)" != 0 ]] || die "run as the unprivileged user that should own the services, not root"
  command -v podman >/dev/null 2>&1 || die "podman is not installed (need >= $MIN_PODMAN)"
  local version
  version=$(podman version --format '{{.Client.Version}}' 2>/dev/null || podman --version | awk '{print $NF}')
  version_ge "$version" "$MIN_PODMAN" ||
    die "podman $version is too old: these units need >= $MIN_PODMAN (Notify=healthy, StopTimeout=); use ./scripts/deploy.sh (compose) instead"
  quadlet_generator >/dev/null || die "the Quadlet generator is missing (podman package without quadlet?)"
  command -v systemctl >/dev/null 2>&1 || die "systemd is required"
  systemctl --user show-environment >/dev/null 2>&1 ||
    die "no systemd user manager for $ME: log in through a real session or 'sudo loginctl enable-linger $ME' and set XDG_RUNTIME_DIR=/run/user/$(id -u)"
  local cgroups
  cgroups=$(podman info --format '{{.Host.CgroupsVersion}}' 2>/dev/null || echo unknown)
  [[ "$cgroups" == v2 ]] || warn "Quadlet needs cgroup v2 (podman reports: $cgroups)"
  log "podman $version, systemd $(systemctl --version | awk 'NR==1{print $2}')"
}

linger_reminder() {
  local linger
  linger=$(loginctl show-user "$ME" --property=Linger --value 2>/dev/null || echo unknown)
  if [[ "$linger" != yes ]]; then
    warn "lingering is off for $ME: the services stop when you log out and do not start at boot."
    warn "enable it once with: sudo loginctl enable-linger $ME"
  fi
}

create_secrets() {
  local entry name file
  for entry in "${SECRET_FILES[@]}"; do
    name=${entry%%=*}
    file="$TP_ROOT/${entry#*=}"
    [[ -f "$file" ]] || die "missing $file: run ./scripts/setup.sh first"
    podman secret create --replace "$UNIT_PREFIX-$name" "$file" >/dev/null
  done
  log "podman secrets created: ${#SECRET_FILES[@]} (podman secret ls)"
}

# build_image NAME TAG: localhost/taskplatform-NAME:TAG from NAME/Containerfile.
build_image() {
  [[ -f "$TP_ROOT/$1/Containerfile" ]] || die "missing $1/Containerfile"
  log "building localhost/taskplatform-$1:$2"
  podman build --quiet -t "localhost/taskplatform-$1:$2" -f "$TP_ROOT/$1/Containerfile" "$TP_ROOT" >/dev/null
}

build_images() {
  local name
  for name in api proxy db; do build_image "$name" "${TP_IMAGE_TAG:-latest}"; done
}

# True when every enabled service's unit is active (Notify=healthy: started means healthy); the others
# in PENDING ("service=state").
units_active() {
  local svc state
  PENDING=()
  while IFS= read -r svc; do
    state=$(systemctl --user is-active "$UNIT_PREFIX-$svc.service" 2>/dev/null || true)
    [[ "$state" == active ]] || PENDING+=("$svc=$state")
  done < <(enabled_services)
  ((${#PENDING[@]} == 0))
}

wait_healthy() {
  local timeout=${DEPLOY_TIMEOUT:-180}
  wait_until "$timeout" 3 units_active && return 0
  warn "not healthy after ${timeout}s: ${PENDING[*]}"
  return 1
}

# --------------------------------------------------------------------------------------------- commands

cmd_render() {
  local dir="" env_file=""
  while (($#)); do
    case "$1" in
      --env-file)
        env_file=${2:?--env-file needs a file}
        shift 2
        ;;
      -*) die "unknown option: $1" ;;
      *)
        dir=$1
        shift
        ;;
    esac
  done
  [[ -n "$dir" ]] || die "usage: deploy-quadlet.sh render DIR [--env-file FILE]"
  load_settings "$env_file"
  render_units "$dir"
  log "rendered units in $dir"
}

cmd_install() {
  local build=1 start=1
  while (($#)); do
    case "$1" in
      --no-build) build=0 ;;
      --no-start) start=0 ;;
      *) die "unknown option: $1" ;;
    esac
    shift
  done
  check_host
  load_settings
  ((build)) && build_images
  create_secrets

  local staging generator f
  INSTALL_STAGING=$(mktemp -d)
  staging=$INSTALL_STAGING
  trap 'rm -rf "$INSTALL_STAGING"' EXIT
  render_units "$staging"
  generator=$(quadlet_generator)
  if ! QUADLET_UNIT_DIRS="$staging" "$generator" -user -dryrun >"$staging/.dryrun" 2>&1; then
    cat "$staging/.dryrun" >&2
    die "the Quadlet generator rejected the units (see above)"
  fi

  # backups/metrics: node-exporter's textfile directory (Podman refuses a missing bind source)
  mkdir -p "$QUADLET_DIR" "$SYSTEMD_USER_DIR" "$TP_ROOT/backups/metrics"
  # API replicas beyond API_REPLICAS: stop them and drop their units
  for f in "$QUADLET_DIR/$UNIT_PREFIX"-api-[0-9]*.container; do
    [[ -e "$f" && ! -e "$staging/${f##*/}" ]] || continue
    systemctl --user stop "$(basename "$f" .container).service" 2>/dev/null || true
    rm -f "$f"
  done
  for f in "$staging"/*; do
    if [[ "$f" =~ $QUADLET_RE ]]; then
      install -m 0644 "$f" "$QUADLET_DIR/"
    elif [[ "$f" =~ $PLAIN_UNIT_RE ]]; then
      install -m 0644 "$f" "$SYSTEMD_USER_DIR/"
    fi
  done
  install -d "$SYSTEMD_USER_DIR/taskplatform.target.d"
  install -m 0644 "$staging/taskplatform.target.d/50-profiles.conf" "$SYSTEMD_USER_DIR/taskplatform.target.d/"
  log "installed units into $QUADLET_DIR and $SYSTEMD_USER_DIR"
  systemctl --user daemon-reload
  systemctl --user enable taskplatform.target taskplatform-backup.timer >/dev/null
  if ((start)); then
    log "starting taskplatform.target (waits for the healthchecks)"
    systemctl --user start taskplatform.target || warn "start reported a failure; checking units"
    if wait_healthy; then
      log "all services healthy"
    else
      cmd_status || true
      die "some services are not healthy: systemd/deploy-quadlet.sh logs SERVICE"
    fi
    cmd_status
  fi
  linger_reminder
}

# .env when there is one (status/logs work without it, with the defaults).
load_settings_if_present() {
  if [[ -n "${TP_ENV_FILE:-}" || -f "$TP_ROOT/.env" ]]; then load_settings; fi
}

cmd_status() {
  load_settings_if_present
  local svc units=('taskplatform*')
  while IFS= read -r svc; do units+=("$UNIT_PREFIX-$svc.service"); done < <(enabled_services)
  systemctl --user --no-pager list-units --all "${units[@]}" 2>/dev/null || true
  while IFS= read -r svc; do
    printf '%-20s %-12s %s\n' "$svc" "$(systemctl --user is-active "$UNIT_PREFIX-$svc.service" 2>/dev/null || true)" \
      "$(podman ps --all --filter "name=^$UNIT_PREFIX-$svc\$" --format '{{.Status}}' 2>/dev/null | head -n1)"
  done < <(enabled_services)
  systemctl --user --no-pager list-timers taskplatform-backup.timer 2>/dev/null || true
}

cmd_logs() {
  load_settings_if_present
  local args=() units=() svc
  while (($#)); do
    case "$1" in
      -f | --follow) args+=(--follow) ;;
      -n)
        args+=(--lines "${2:?-n needs a number}")
        shift
        ;;
      -*) die "unknown option: $1" ;;
      *)
        [[ "$1" =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "invalid service name: $1"
        svc=${1#"$UNIT_PREFIX"-}
        units+=(-u "$UNIT_PREFIX-$svc.service" -u "$UNIT_PREFIX-$svc-[0-9]*.service")
        ;;
    esac
    shift
  done
  if ((${#units[@]} == 0)); then
    while IFS= read -r svc; do units+=(-u "$UNIT_PREFIX-$svc.service"); done < <(enabled_services)
    units+=(-u taskplatform-backup.service)
  fi
  journalctl --user --no-pager "${units[@]}" "${args[@]}"
}

cmd_uninstall() {
  local purge=0 f name
  while (($#)); do
    case "$1" in
      --purge) purge=1 ;;
      *) die "unknown option: $1" ;;
    esac
    shift
  done
  systemctl --user stop taskplatform.target taskplatform-backup.timer 2>/dev/null || true
  systemctl --user disable taskplatform.target taskplatform-backup.timer 2>/dev/null || true
  while IFS= read -r f; do
    name=$(basename "$f")
    rm -f "$QUADLET_DIR/$name" "$SYSTEMD_USER_DIR/$name"
  done < <(unit_sources)
  rm -f "$QUADLET_DIR/$UNIT_PREFIX"-api-[0-9]*.container
  rm -rf "$SYSTEMD_USER_DIR/taskplatform.target.d"
  systemctl --user daemon-reload 2>/dev/null || true
  for name in "${SECRET_FILES[@]}"; do podman secret rm "$UNIT_PREFIX-${name%%=*}" >/dev/null 2>&1 || true; done
  # Quadlet names networks/volumes systemd-<unit name>.
  for f in "$SELF_DIR"/*.network; do podman network rm "systemd-$(basename "$f" .network)" >/dev/null 2>&1 || true; done
  if ((purge)); then
    for f in "$SELF_DIR"/*.volume; do
      podman volume rm --force "systemd-$(basename "$f" .volume)" >/dev/null 2>&1 || true
    done
    log "removed units, secrets, networks and volumes (data deleted)"
  else
    log "removed units, secrets and networks; volumes kept (podman volume ls; --purge deletes them)"
  fi
}

db_settings() {
  load_settings
  : "${POSTGRES_USER:?POSTGRES_USER missing in .env}" "${POSTGRES_DB:?POSTGRES_DB missing in .env}"
  BACKUP_DIR=${BACKUP_DIR:-./backups}
  [[ "$BACKUP_DIR" == /* ]] || BACKUP_DIR="$TP_ROOT/${BACKUP_DIR#./}"
  BACKUP_RETENTION=${BACKUP_RETENTION:-7}
  [[ "$BACKUP_RETENTION" =~ ^[0-9]+$ ]] || die "BACKUP_RETENTION must be a number (0 keeps all)"
  PG_CONTAINER="$UNIT_PREFIX-postgres"
}

# pg_dump in the postgres container: scripts/lib/pg-backup.sh, as scripts/backup.sh, so archives move freely
# between the compose and the Quadlet deployment (and scripts/restore.sh --local can read these too).
run_pg() { podman exec -i "$PG_CONTAINER" "$@"; }
cmd_backup() {
  db_settings
  pg_backup "$BACKUP_DIR" "$BACKUP_RETENTION" "$POSTGRES_DB" "in $PG_CONTAINER" run_pg -U "$POSTGRES_USER" -d "$POSTGRES_DB"
  backup_metric pg_dump
  pitr_backup run_pg auto
  log "backup: done"
}

# The units that serve users: the proxy and every API replica (stopped while the database is restored).
app_units() {
  local svc
  printf '%s\n' "$UNIT_PREFIX-proxy.service"
  while IFS= read -r svc; do
    [[ "$svc" == api || "$svc" == api-[0-9]* ]] && printf '%s\n' "$UNIT_PREFIX-$svc.service"
  done < <(enabled_services)
}

# Point-in-time recovery: scripts/lib/pitr.sh's steps, as scripts/restore.sh --to runs them under compose.
# Server up: exec into the postgres container; server stopped: a one-off container of the same image on
# the same volumes (Quadlet names them systemd-<unit>).
run_pg_stopped() {
  podman run --rm -i --user postgres --read-only --tmpfs /tmp \
    -e "PGBACKREST_STANZA=$PITR_STANZA" -e "PGBACKREST_PG1_USER=$POSTGRES_USER" \
    -v "systemd-$UNIT_PREFIX-postgres_data:/var/lib/postgresql/data" \
    -v "systemd-$UNIT_PREFIX-pgbackrest_repo:/var/lib/pgbackrest" \
    "localhost/taskplatform-db:${TP_IMAGE_TAG:-latest}" "$@"
}
cmd_restore_pitr() {
  local started=$SECONDS stop=() psql_db
  db_settings
  pitr_target "$1"
  psql_db=(run_pg psql -U "$POSTGRES_USER" -d "$POSTGRES_DB")
  if run_pg pg_isready -q -h 127.0.0.1 </dev/null >/dev/null 2>&1; then
    pitr_verify run_pg
    pitr_flush_wal run_pg "${psql_db[@]}"
  else
    pitr_verify run_pg_stopped
    warn "the server is down: WAL it had not archived yet cannot be restored"
  fi
  mapfile -t stop < <(app_units)
  log "restore: stopping ${stop[*]} and $UNIT_PREFIX-postgres.service"
  systemctl --user stop "${stop[@]}" "$UNIT_PREFIX-postgres.service"
  trap 'systemctl --user start taskplatform.target || true' EXIT
  pitr_restore run_pg_stopped /var/lib/postgresql/data/pgdata
  # Notify=healthy: returns once PostgreSQL accepts connections (hot standby during a long replay)
  systemctl --user start "$UNIT_PREFIX-postgres.service"
  wait_until "${PITR_RECOVERY_TIMEOUT:-3600}" 1 pitr_promoted "${psql_db[@]}" ||
    die "recovery did not finish: journalctl --user -u $UNIT_PREFIX-postgres.service"
  # shellcheck disable=SC2016 # expanded inside the container
  podman exec "$UNIT_PREFIX-redis" sh -c 'REDISCLI_AUTH="$(cat /run/secrets/redis_password)" redis-cli FLUSHALL' >/dev/null ||
    warn "could not flush Redis (cache, sessions)"
  trap - EXIT
  systemctl --user start taskplatform.target
  wait_healthy || die "services not healthy after the restore"
  log "restore: done, $PITR_TARGET in $((SECONDS - started)) s"
}

cmd_restore() {
  local file="" skip_checksum=0 expected actual toc
  while (($#)); do
    case "$1" in
      --skip-checksum) skip_checksum=1 ;;
      --to)
        cmd_restore_pitr "${2:?--to needs a time or latest}"
        return
        ;;
      -*) die "unknown option: $1" ;;
      *) file=$1 ;;
    esac
    shift
  done
  [[ -n "$file" && -f "$file" ]] || die "usage: deploy-quadlet.sh restore FILE [--skip-checksum] (a .dump from backup)"
  db_settings
  if [[ -f "$file.sha256" ]]; then
    expected=$(awk '{ print $1; exit }' "$file.sha256")
    actual=$(sha256sum "$file" | awk '{ print $1 }')
    [[ "$expected" == "$actual" ]] || die "REFUSED: checksum mismatch for $file; nothing was changed"
  elif ((!skip_checksum)); then
    die "REFUSED: no checksum file $file.sha256 (use --skip-checksum for a file you trust); nothing was changed"
  fi
  toc=$(run_pg pg_restore --list <"$file" 2>&1) ||
    die "REFUSED: $file is not a readable pg_dump archive; nothing was changed"
  grep -Eq 'TABLE [a-z_]+ schema_migrations ' <<<"$toc" ||
    die "REFUSED: $file is not a TaskPlatform database archive (no schema_migrations); nothing was changed"

  log "restore: stopping proxy and api"
  local stop=()
  mapfile -t stop < <(app_units)
  systemctl --user stop "${stop[@]}"
  trap 'systemctl --user start taskplatform.target || true' EXIT
  log "restore: loading $file into $POSTGRES_DB (one transaction)"
  if ! {
    printf 'BEGIN;\nDROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n'
    run_pg pg_restore --no-owner --no-privileges -f - <"$file" && printf 'COMMIT;\n'
  } | run_pg psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f - >/dev/null; then
    die "restore FAILED and was rolled back: the database still holds the data it had before"
  fi
  # shellcheck disable=SC2016 # expanded inside the container
  podman exec "$UNIT_PREFIX-redis" sh -c 'REDISCLI_AUTH="$(cat /run/secrets/redis_password)" redis-cli FLUSHALL' >/dev/null ||
    warn "could not flush Redis (cache, sessions)"
  trap - EXIT
  systemctl --user start taskplatform.target
  wait_healthy || die "services not healthy after the restore"
  log "restore: done"
}

# --------------------------------------------------------------------------------------------- upgrade
# Rolling, one replica at a time over the replicas install made (taskplatform-api, -api-2 … -N), rather
# than a blue/green pair of template instances: the units, names, network alias and status/logs/restore
# stay as they are; capacity drops by one replica instead of doubling memory; and a replica is only
# ever stopped after the proxy stopped sending to it. Old and new versions serve side by side for a
# while, as during scripts/upgrade.sh's canary: migrations are expand-only (docs/production.md).

UPGRADE_PROXY="$UNIT_PREFIX-proxy"
UPGRADE_REPLICAS=() # services (api, api-2, …)
UPGRADE_TOUCHED=()  # those stopped so far (put back on the previous image in reverse on failure)

unit_file() { printf '%s\n' "$QUADLET_DIR/$UNIT_PREFIX-$1.container"; }
unit_image() { sed -n 's/^Image=//p' "$(unit_file "$1")" | tail -n 1; }

# The proxy's upstream while replica $1 is out: every other replica's address.
upstream_without() {
  local svc address list=()
  for svc in "${UPGRADE_REPLICAS[@]}"; do
    [[ "$svc" != "$1" ]] || continue
    address=$(frontend_address "$UNIT_PREFIX-$svc") && [[ -n "$address" ]] && list+=("$address")
  done
  printf '%s\n' "${list[*]}"
}

# replace_replica SERVICE IMAGE TIMEOUT: takes the replica out of the proxy's upstream, stops it (SIGTERM:
# requests in flight finish, event streams end and their browsers reconnect to the other replicas),
# points its unit at IMAGE, starts it, waits until it is healthy and puts it back (the upstream is the
# network alias api:4000 again, which names every replica). Fails with the reason in REPLICA_FAILURE.
replace_replica() {
  local svc=$1 image=$2 timeout=$3 others started
  local ctr="$UNIT_PREFIX-$svc" unit="$UNIT_PREFIX-$svc.service"
  others=$(upstream_without "$svc")
  [[ -n "$others" ]] || {
    REPLICA_FAILURE="no other replica has an address on the frontend network: $ctr stays in"
    return 1
  }
  set_upstream "$UPGRADE_PROXY" "$others" || {
    REPLICA_FAILURE="the proxy did not accept the upstream without $ctr"
    return 1
  }
  log "$ctr: out of the proxy's upstream ($others serve); stopping it"
  [[ " ${UPGRADE_TOUCHED[*]} " == *" $svc "* ]] || UPGRADE_TOUCHED+=("$svc")
  systemctl --user stop "$unit" || {
    REPLICA_FAILURE="could not stop $unit"
    return 1
  }
  if ! { sed -i "s|^Image=.*|Image=$image|" "$(unit_file "$svc")" && systemctl --user daemon-reload; }; then
    REPLICA_FAILURE="could not point $unit at $image"
    return 1
  fi
  log "$ctr: starting on $image"
  started=$SECONDS
  # Notify=healthy: the start job ends when the healthcheck passes; `timeout` bounds the wait (the job
  # itself stays queued until the rollback stops the unit)
  timeout "$timeout" systemctl --user start "$unit" || {
    REPLICA_FAILURE="$unit did not start healthy within ${timeout}s (journalctl --user -u $unit)"
    return 1
  }
  replica_wait "$ctr" "$started" "$timeout" || return 1
  set_upstream "$UPGRADE_PROXY" "" || {
    REPLICA_FAILURE="the proxy did not accept the upstream with $ctr back"
    return 1
  }
  log "$ctr: healthy after $((SECONDS - started))s, back in the proxy's upstream"
}

# Puts the previous image back under its name, restarts every replica stopped so far on it (one at a
# time, the others serving), restores the upstream, exits 3.
upgrade_rollback() {
  local reason=$1 i
  log "ROLLING BACK: $reason"
  podman tag "$UPGRADE_OLD_ID" "$UPGRADE_OLD_IMAGE" </dev/null || warn "could not tag $UPGRADE_OLD_ID as $UPGRADE_OLD_IMAGE"
  for ((i = ${#UPGRADE_TOUCHED[@]} - 1; i >= 0; i--)); do
    replace_replica "${UPGRADE_TOUCHED[i]}" "$UPGRADE_OLD_IMAGE" "$UPGRADE_TIMEOUT" ||
      warn "$UNIT_PREFIX-${UPGRADE_TOUCHED[i]} is not back on $UPGRADE_OLD_IMAGE: $REPLICA_FAILURE"
  done
  set_upstream "$UPGRADE_PROXY" "" || warn "could not reset the proxy's upstream to the service name"
  log "rolled back: the ${#UPGRADE_REPLICAS[@]} replica(s) run $UPGRADE_OLD_IMAGE ($UPGRADE_OLD_ID) as before"
  exit 3
}

cmd_upgrade() {
  load_settings
  local tag=${TP_IMAGE_TAG:-latest} build=1 canary=30 max_5xx=0.01 dry_run=0
  UPGRADE_TIMEOUT=180
  while (($#)); do
    case "$1" in
      --image) tag=${2:?--image needs a tag}; build=0; shift ;;
      --no-build) build=0 ;;
      --timeout) UPGRADE_TIMEOUT=${2:?--timeout needs seconds}; shift ;;
      --canary) canary=${2:?--canary needs seconds}; shift ;;
      --max-5xx) max_5xx=${2:?--max-5xx needs a ratio}; shift ;;
      --dry-run) dry_run=1 ;;
      *) die "unknown option: $1 (systemd/deploy-quadlet.sh --help)" ;;
    esac
    shift
  done
  upgrade_check_options "$tag" "$max_5xx" "$UPGRADE_TIMEOUT" "$canary"
  mapfile -t UPGRADE_REPLICAS < <(enabled_services | grep -E '^api(-[0-9]+)?$')
  ((${#UPGRADE_REPLICAS[@]} >= 2)) ||
    die "an upgrade without downtime needs API_REPLICAS >= 2 (one serves while the other is replaced): set it in .env, run install --no-build"
  local image="localhost/taskplatform-api:$tag" svc ctr since address answers errors end
  if ((dry_run)); then
    log "plan (dry run; nothing changes):"
    log "  1. $( ((build)) && echo "build $image (api/Containerfile)" || echo "use $image as it is")"
    log "  2. one at a time: ${UPGRADE_REPLICAS[*]/#/$UNIT_PREFIX-}; for each, while the others serve:"
    log "     a. take it out of the proxy's upstream (upstream rendered again, graceful nginx reload)"
    log "     b. stop it (SIGTERM: in-flight requests finish, event streams end; StopTimeout= of the unit)"
    log "     c. start it on $image (the first one applies pending migrations, expand-only, under the lock)"
    log "     d. wait up to ${UPGRADE_TIMEOUT}s until it is healthy, then put it back into the upstream"
    log "     e. canary: ${canary}s serving; more than ${max_5xx} of its answers 5xx, or unhealthy: roll back"
    log "  on failure: the previous image back under its name, every replaced replica restarted on it (one at"
    log "  a time), the upstream restored, exit 3"
    return 0
  fi

  for svc in "${UPGRADE_REPLICAS[@]}" proxy; do
    [[ -f "$(unit_file "$svc")" ]] || die "$(unit_file "$svc") is missing: systemd/deploy-quadlet.sh install first"
    [[ "$(systemctl --user is-active "$UNIT_PREFIX-$svc.service" 2>/dev/null || true)" == active ]] ||
      die "$UNIT_PREFIX-$svc.service is not active: an upgrade starts from a healthy deployment (status, logs)"
  done
  UPGRADE_OLD_IMAGE=$(unit_image api)
  UPGRADE_OLD_ID=$(podman inspect -f '{{.Image}}' "$UNIT_PREFIX-api" </dev/null || true)
  [[ -n "$UPGRADE_OLD_ID" ]] || die "cannot tell which image $UNIT_PREFIX-api runs"
  ((build)) && build_image api "$tag"
  podman image inspect "$image" </dev/null >/dev/null 2>&1 || die "no image $image (build or load it first)"
  log "upgrading ${#UPGRADE_REPLICAS[@]} replica(s) from $UPGRADE_OLD_IMAGE ($UPGRADE_OLD_ID) to $image, one at a time"

  for svc in "${UPGRADE_REPLICAS[@]}"; do
    ctr="$UNIT_PREFIX-$svc"
    replace_replica "$svc" "$image" "$UPGRADE_TIMEOUT" || upgrade_rollback "$REPLICA_FAILURE"
    since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    address=$(frontend_address "$ctr")
    end=$((SECONDS + canary))
    while ((SECONDS < end)); do
      replica_healthy "$ctr" || upgrade_rollback "$ctr unhealthy during the canary"
      sleep 2
    done
    read -r answers errors < <(answers_of "$UPGRADE_PROXY" "$since" "$address")
    if too_many_5xx "$answers" "$errors" "$max_5xx"; then
      upgrade_rollback "$errors of $answers answers of $ctr were 5xx (more than $max_5xx)"
    fi
    log "$ctr: canary passed ($answers answers, $errors 5xx)"
  done
  log "upgraded: ${#UPGRADE_REPLICAS[@]} replica(s) run $image"
  [[ "$tag" == "${TP_IMAGE_TAG:-latest}" ]] || log "set TP_IMAGE_TAG=$tag in .env: install renders the units from it"
}

main() {
  local command=${1:-}
  (($#)) && shift
  case "$command" in
    install) cmd_install "$@" ;;
    status) cmd_status "$@" ;;
    logs) cmd_logs "$@" ;;
    uninstall) cmd_uninstall "$@" ;;
    render) cmd_render "$@" ;;
    backup) cmd_backup "$@" ;;
    restore) cmd_restore "$@" ;;
    upgrade) cmd_upgrade "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
