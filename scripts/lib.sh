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

# Sets ENGINE (docker|podman) and COMPOSE (array: the compose command).
# TP_ENGINE=docker|podman forces one; otherwise a reachable Docker daemon wins, then Podman.
detect_engine() {
  local wanted=${TP_ENGINE:-}
  ENGINE=""
  COMPOSE=()
  if [[ -z "$wanted" ]]; then
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
      wanted=docker
    elif command -v podman >/dev/null 2>&1; then
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

# The compose project name: COMPOSE_PROJECT_NAME (.env), else the directory name like compose does.
# Passed explicitly with -p because podman-compose 1.0.3 ignores COMPOSE_PROJECT_NAME.
project_name() {
  local name=${COMPOSE_PROJECT_NAME:-}
  if [[ -z "$name" ]]; then
    name=$(basename "$TP_ROOT" | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9_-')
  fi
  printf '%s\n' "$name"
}

# Runs the compose tool from the repository root with compose.yaml.
compose() {
  (cd "$TP_ROOT" && "${COMPOSE[@]}" -p "$(project_name)" -f compose.yaml "$@")
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
# running (no healthcheck), completed (exited 0), or the container state (exited, restarting…).
container_states() {
  local id name status health label
  while read -r id; do
    [[ -n "$id" ]] || continue
    name=$("$ENGINE" inspect -f '{{.Name}}' "$id")
    name=${name#/}
    status=$("$ENGINE" inspect -f '{{.State.Status}}' "$id")
    if [[ "$status" == exited && "$("$ENGINE" inspect -f '{{.State.ExitCode}}' "$id")" == 0 ]]; then
      printf '%s completed\n' "$name" # a one-off job that finished
      continue
    elif [[ "$status" != running ]]; then
      printf '%s %s\n' "$name" "$status"
      continue
    fi
    if [[ "$ENGINE" == podman ]]; then
      # Without systemd nothing runs podman's healthchecks, and podman-compose wraps them in /bin/sh,
      # which distroless images lack: run the check here (the label names a shell-free command).
      label=$("$ENGINE" inspect -f '{{index .Config.Labels "org.taskplatform.health-exec"}}' "$id" 2>/dev/null || true)
      if [[ -n "$label" && "$label" != "<no value>" ]]; then
        # shellcheck disable=SC2086  # the label is a command line
        if "$ENGINE" exec "$id" $label >/dev/null 2>&1; then health=healthy; else health=starting; fi
      elif "$ENGINE" healthcheck run "$id" >/dev/null 2>&1; then
        health=healthy
      else
        health=starting
      fi
    else
      health=$("$ENGINE" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}running{{end}}' "$id")
    fi
    printf '%s %s\n' "$name" "$health"
  done < <("$ENGINE" ps -aq --filter "label=com.docker.compose.project=$(project_name)")
}
