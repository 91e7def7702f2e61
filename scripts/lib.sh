#!/usr/bin/env bash
# Shared helpers for scripts/*.sh (sourced, not run).
# shellcheck disable=SC2034  # variables are used by the scripts that source this file

TP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '%s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Loads $TP_ENV_FILE (default $TP_ROOT/.env; KEY=value lines) without overriding variables already set in the environment.
load_env() {
  local file=${TP_ENV_FILE:-$TP_ROOT/.env} line key value
  [[ -f "$file" ]] || return 0
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]}
    value=${value%\"}
    value=${value#\"}
    value=${value%\'}
    value=${value#\'}
    [[ -n "${!key+x}" ]] || export "$key=$value"
  done <"$file"
}

# True when ENGINE ($1) holds containers started from this directory (compose's working_dir label).
engine_has_stack() {
  local dir
  for dir in "$TP_ROOT" "$(cd "$TP_ROOT" && pwd -P)"; do
    [[ -n "$("$1" ps -aq --filter "label=com.docker.compose.project.working_dir=$dir" </dev/null 2>/dev/null)" ]] && return 0
  done
  return 1
}

# Sets ENGINE (docker|podman) and COMPOSE (array: the compose command).
# TP_ENGINE=docker|podman forces one; otherwise the engine that runs this directory's stack (both may be
# installed: a plain `podman-compose up -d` next to a Docker daemon), else a reachable Docker daemon, else
# Podman.
detect_engine() {
  local wanted=${TP_ENGINE:-} docker_ok=0 podman_ok=0
  ENGINE=""
  COMPOSE=()
  if [[ -z "$wanted" ]]; then
    command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && docker_ok=1
    command -v podman >/dev/null 2>&1 && podman_ok=1
    if ((docker_ok && podman_ok)) && ! engine_has_stack docker && engine_has_stack podman; then
      wanted=podman
    elif ((docker_ok)); then
      wanted=docker
    elif ((podman_ok)); then
      wanted=podman
    else
      return 1
    fi
  fi
  case "$wanted" in
    docker)
      command -v docker >/dev/null 2>&1 || return 1
      ENGINE=docker
      if docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
      elif command -v docker-compose >/dev/null 2>&1; then
        COMPOSE=(docker-compose)
      fi
      ;;
    podman)
      command -v podman >/dev/null 2>&1 || return 1
      ENGINE=podman
      if command -v podman-compose >/dev/null 2>&1; then
        COMPOSE=(podman-compose)
      elif podman compose version >/dev/null 2>&1; then
        COMPOSE=(podman compose)
      fi
      ;;
    *) die "TP_ENGINE must be docker or podman, got '$wanted'" ;;
  esac
  return 0
}

require_engine() {
  detect_engine || die "no container engine found: install podman (+ podman-compose) or docker (+ compose plugin), or set TP_ENGINE"
  ((${#COMPOSE[@]})) || die "$ENGINE found but no compose tool: install ${ENGINE}-compose (or the docker compose plugin)"
}

# The compose project name, however the stack was started:
#   1. the project of the containers started from this directory (label com.docker.compose.project.working_dir,
#      set by docker compose, docker-compose and podman-compose), so a plain `podman-compose up -d` is found
#      although podman-compose 1.0.3 names the project after the directory;
#   2. COMPOSE_PROJECT_NAME (.env.example: taskplatform; compose files cannot fix it: docker-compose 1.29
#      rejects a top-level `name`);
#   3. the directory name, as compose does.
# Remembered in TP_PROJECT for the rest of the script (set TP_PROJECT to force one).
project_name() {
  if [[ -z "${TP_PROJECT:-}" ]]; then
    local wanted=${COMPOSE_PROJECT_NAME:-} found=() dirs=("$TP_ROOT") real ids id p
    if [[ -z "$wanted" ]]; then
      wanted=$(basename "$TP_ROOT" | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9_-')
    fi
    TP_PROJECT=$wanted
    real=$(cd "$TP_ROOT" && pwd -P)
    [[ "$real" == "$TP_ROOT" ]] || dirs+=("$real")
    if [[ -n "${ENGINE:-}" ]]; then
      for real in "${dirs[@]}"; do
        mapfile -t ids < <("$ENGINE" ps -aq --filter "label=com.docker.compose.project.working_dir=$real" </dev/null 2>/dev/null || true)
        for id in "${ids[@]}"; do
          [[ -n "$id" ]] || continue
          p=$("$ENGINE" inspect -f '{{index .Config.Labels "com.docker.compose.project"}}' "$id" </dev/null 2>/dev/null || true)
          [[ -n "$p" && "$p" != "<no value>" && " ${found[*]} " != *" $p "* ]] && found+=("$p")
        done
      done
      if ((${#found[@]} == 1)); then
        TP_PROJECT=${found[0]}
      elif ((${#found[@]} > 1)) && [[ " ${found[*]} " != *" $wanted "* ]]; then
        TP_PROJECT=${found[0]}
        warn "containers of several compose projects were started from $TP_ROOT (${found[*]}); using '$TP_PROJECT' (set TP_PROJECT to choose)"
      fi
    fi
  fi
  printf '%s\n' "$TP_PROJECT"
}

# Runs the compose tool from the repository root with compose.yaml, the project name passed explicitly
# (-p, and COMPOSE_PROJECT_NAME for the ${COMPOSE_PROJECT_NAME} in container names).
compose() {
  local project
  project=$(project_name)
  (cd "$TP_ROOT" && COMPOSE_PROJECT_NAME=$project "${COMPOSE[@]}" -p "$project" -f compose.yaml "$@")
}

# Prints the ids of the running containers of a compose service (all three compose tools set these labels).
service_containers() {
  local service=$1
  "$ENGINE" ps -q --filter "label=com.docker.compose.project=$(project_name)" \
    --filter "label=com.docker.compose.service=$service"
}

# Prints the id of one running container of a service, or fails with a clear message.
one_container() {
  local service=$1 id
  id=$(service_containers "$service" | head -n 1)
  [[ -n "$id" ]] || die "no running '$service' container in project '$(project_name)' (is the stack up? ./scripts/deploy.sh)"
  printf '%s\n' "$id"
}

# Prints "<name> <state>" for every container of the project. state: healthy, unhealthy, starting,
# running (no healthcheck), completed (exited 0), restarting (restarting now, or restarted by its restart
# policy and not healthy since: a crash loop), or the container state (exited, created, dead…).
# No command here may read stdin (`podman healthcheck run` does): the ids are read first, and every engine
# call gets </dev/null.
container_states() {
  local ids id info name status code restarts health label
  mapfile -t ids < <("$ENGINE" ps -aq --filter "label=com.docker.compose.project=$(project_name)" </dev/null)
  for id in "${ids[@]}"; do
    [[ -n "$id" ]] || continue
    info=$("$ENGINE" inspect -f '{{.Name}}|{{.State.Status}}|{{.State.ExitCode}}|{{.RestartCount}}' "$id" </dev/null) || continue
    IFS='|' read -r name status code restarts <<<"$info"
    name=${name#/}
    [[ "$restarts" =~ ^[0-9]+$ ]] || restarts=0
    if [[ "$status" == exited && "$code" == 0 ]]; then
      printf '%s completed\n' "$name" # a one-off job that finished
      continue
    elif [[ "$status" != running ]]; then
      printf '%s %s\n' "$name" "$status"
      continue
    fi
    if [[ "$ENGINE" == podman ]]; then
      # Without systemd nothing runs podman's healthchecks: run them here. podman-compose 1.0.3 wraps them
      # in /bin/sh -c, which shell-less images lack: for those, the label names the shell-free command.
      label=$("$ENGINE" inspect -f '{{index .Config.Labels "org.taskplatform.health-exec"}}' "$id" </dev/null 2>/dev/null || true)
      if "$ENGINE" healthcheck run "$id" </dev/null >/dev/null 2>&1; then
        health=healthy
      elif [[ -n "$label" && "$label" != "<no value>" ]]; then
        # shellcheck disable=SC2086  # the label is a command line
        if "$ENGINE" exec "$id" $label </dev/null >/dev/null 2>&1; then health=healthy; else health=starting; fi
      else
        health=$("$ENGINE" inspect -f '{{if .State.Healthcheck}}{{.State.Healthcheck.Status}}{{end}}' "$id" </dev/null 2>/dev/null || true)
        [[ "$health" == unhealthy ]] || health=starting
        if [[ -z "$("$ENGINE" inspect -f '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Test}}{{end}}' "$id" </dev/null 2>/dev/null || true)" ]]; then
          health=running
        fi
      fi
    else
      health=$("$ENGINE" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}running{{end}}' "$id" </dev/null)
    fi
    if [[ "$health" != healthy && "$health" != running ]] && ((restarts > 0)); then
      health=restarting
    fi
    printf '%s %s\n' "$name" "$health"
  done
}

# States container_states reports that mean "broken", not "not ready yet".
bad_state() { [[ "$1" =~ ^(unhealthy|restarting|exited|dead|removing|paused)$ ]]; }

# Makes the proxy resolve the api name again. nginx older than 1.27.3 (the CI stand-in's 1.22) resolves
# `api` only at (re)load, so after a restart or a scale-up the api's new addresses would answer 502;
# the shipped nginx 1.28 re-resolves every 10 s by itself (`server api:4000 resolve`), and a reload is
# harmless there.
reload_proxy() {
  local proxy
  proxy=$(service_containers proxy | head -n 1)
  [[ -n "$proxy" ]] && "$ENGINE" exec "$proxy" nginx -s reload </dev/null >/dev/null 2>&1
}

# Applies the database migrations with a one-off container of the api image (the new one, during a
# deploy or an upgrade) before any new replica starts, while the running replicas keep serving (schema
# changes are expand-only within a release; see docs/production.md, Migrations). Success is read from
# its log too: podman-compose 1.0.3's `run` exits 0 whatever the container did.
run_migrations() {
  log "applying database migrations (one-off api container: migrate)"
  # A running PostgreSQL stays as it is: an upgrade's TP_IMAGE_TAG must not recreate it (deploy.sh's
  # full `up` recreates what changed afterwards).
  compose up -d --no-recreate postgres
  local migrate_log migrated=0
  migrate_log=$(mktemp)
  if compose run --rm -T --no-deps -e LOG_LEVEL=info api migrate 2>&1 | tee "$migrate_log" >&2; then
    grep -Eq '"msg":"(migrations applied|no pending migrations)"' "$migrate_log" && migrated=1
  fi
  rm -f "$migrate_log"
  ((migrated)) || die "migrations failed (output above): no api replica was started or replaced; running ones keep serving"
}
