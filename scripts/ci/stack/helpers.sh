#!/usr/bin/env bash
# Helpers of the stack test's steps (sourced by scripts/ci/stack-test.sh; functions only).
# Variables the steps share: REPO, DOCKER, COMPOSE_BIN, WORK (the copy of the tree), PROJECT (the compose
# project), BASE_URL, SERVICES / LEFT_OUT (services started / left out), STACK_TIMEOUT.

# The summary line; true when nothing failed.
stack_finish() {
  printf '\nstack-test: %d s in all\n' "$((SECONDS - SCRIPT_STARTED))"
  report_summary "failed:"
}

# Ends the run now (a step that the following ones cannot do without failed).
stack_stop() {
  stack_finish || true
  exit 1
}

ci_tool() { bun "$REPO/scripts/ci/ci-tool.ts" "$@"; }

compose() { (cd "$WORK" && "$COMPOSE_BIN" -p "$PROJECT" -f compose.yaml "$@"); }

# "name image build|-" per service of the copy's compose.yaml (uninterpolated), or of `compose config`.
services_of_file() { (cd "$WORK" && ci_tool services compose.yaml); }
services_of_config() { compose config 2>/dev/null | ci_tool services; }

# The ids of the project's containers (docker ps options: -a, --no-trunc, …).
project_containers() { "$DOCKER" ps -q "$@" --filter "label=com.docker.compose.project=$PROJECT"; }

# docker-compose down (options in "$@"), its output in $DOWN_LOG. Docker 20.10 sometimes still counts the
# endpoint of a container it has just removed, and the network's removal fails with "has active endpoints"
# (a CI run of 4b08181's fix: still there 30 s later, the network listing no container). Then every
# endpoint is disconnected by force, by name: those the network lists, and those named after the project's
# containers as they were before down (for a container that no longer exists, `disconnect -f` deletes the
# endpoint of that name: the engine's own way out of a stale one); down runs again until the networks go
# (30 s). DOWN_RETRIED=1 when that was needed.
compose_down() {
  DOWN_RETRIED=0
  DOWN_NAMES=$("$DOCKER" ps -a --format '{{.Names}}' --filter "label=com.docker.compose.project=$PROJECT")
  compose down "$@" >"$DOWN_LOG" 2>&1 && return 0
  grep -q 'has active endpoints' "$DOWN_LOG" || return 1
  # shellcheck disable=SC2034  # read by the step that called
  DOWN_RETRIED=1
  wait_until 30 2 compose_down_again "$@"
}
compose_down_again() {
  local net endpoint
  for net in $("$DOCKER" network ls -q --filter "label=com.docker.compose.project=$PROJECT"); do
    for endpoint in $("$DOCKER" network inspect -f '{{range .Containers}}{{.Name}} {{end}}' "$net" 2>/dev/null) $DOWN_NAMES; do
      "$DOCKER" network disconnect -f "$net" "$endpoint" >>"$DOWN_LOG" 2>&1 || true
    done
  done
  compose down "$@" >>"$DOWN_LOG" 2>&1
}

# One running container of a service.
cid() { project_containers --filter "label=com.docker.compose.service=$1" | head -n 1; }

# True when every container of the project is healthy (or running, without a healthcheck); the others in
# UNHEALTHY ("id:state").
all_healthy() {
  local id state
  UNHEALTHY=()
  while read -r id; do
    [[ -n "$id" ]] || continue
    state=$("$DOCKER" inspect -f '{{.State.Status}}{{if .State.Health}}/{{.State.Health.Status}}{{end}}' "$id")
    case "$state" in
      running/healthy | running) ;;
      *) UNHEALTHY+=("$id:$state") ;;
    esac
  done < <(project_containers -a --no-trunc)
  ((${#UNHEALTHY[@]} == 0))
}

# Waits until every container is healthy; on timeout prints each unhealthy container's state, last probes
# and log lines.
wait_healthy() {
  local timeout=$1 entry id name
  wait_until "$timeout" 1 all_healthy && return 0
  echo "not healthy after ${timeout} s:"
  for entry in "${UNHEALTHY[@]}"; do
    id=${entry%%:*}
    name=$("$DOCKER" inspect -f '{{.Name}}' "$id")
    echo "  ${name#/}: ${entry#*:}"
    "$DOCKER" inspect -f '{{if .State.Health}}{{range .State.Health.Log}}    probe: {{.Output}}{{end}}{{end}}' "$id" | tail -n 3
    "$DOCKER" logs --tail 8 "$id" 2>&1 | sed 's/^/    log: /'
  done
  return 1
}

# Per service: seconds from `up` (epoch T0) to the container's start (where the cold start goes:
# depends_on waits for "healthy", which only a probe sets, once per healthcheck interval).
# docker-compose 1.29's `up -d` itself returns only once those conditions are met.
timeline() {
  local t0=$1 id
  while read -r id; do
    [[ -n "$id" ]] || continue
    "$DOCKER" inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.State.StartedAt}}' "$id"
  done < <(project_containers --no-trunc) | ci_tool timeline "$t0" || true
}

api() { # METHOD PATH [JSON] [TOKEN] → body in $WORK/.resp, HTTP status in $WORK/.status
  local method=$1 path=$2 body=${3:-} token=${4:-}
  local args=(-sk -o "$WORK/.resp" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' --max-time 15)
  [[ -n "$body" ]] && args+=(--data "$body")
  [[ -n "$token" ]] && args+=(-H "Authorization: Bearer $token")
  : >"$WORK/.resp"
  curl "${args[@]}" "$BASE_URL$path" >"$WORK/.status" 2>/dev/null || echo 000 >"$WORK/.status"
}
status() { cat "$WORK/.status"; }
resp_field() { ci_tool json "$1" <"$WORK/.resp"; } # a top-level field of the last response

# Image size in MB (10^6 bytes).
size_mb() { "$DOCKER" image inspect -f '{{.Size}}' "$1" 2>/dev/null | awk '{printf "%.1f", $1/1000000}'; }
