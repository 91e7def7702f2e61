#!/usr/bin/env bash
# Switching the proxy between API replicas without dropping a request (sourced): the pieces that
# scripts/upgrade.sh (compose: new replicas beside the old) and systemd/deploy-quadlet.sh upgrade
# (Quadlet: one replica at a time) share. Every function calls the engine in $ENGINE (docker|podman).
# shellcheck disable=SC2034  # REPLICA_FAILURE is read by the scripts that source this file

# upgrade_check_options TAG MAX_5XX SECONDS...: refuses a bad --image tag, ratio or number of seconds.
upgrade_check_options() {
  local tag=$1 ratio=$2 n
  shift 2
  [[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "--image must be an image tag, got '$tag'"
  for n in "$@"; do [[ "$n" =~ ^[0-9]+$ ]] || die "--timeout, --canary and --drain take seconds"; done
  [[ "$ratio" =~ ^(0(\.[0-9]+)?|1(\.0+)?)$ ]] || die "--max-5xx must be a ratio between 0 and 1"
}

# The address of a container on the frontend network (the proxy's side), as host:port for nginx.
# compose names that network <project>_frontend, Quadlet systemd-taskplatform-frontend.
frontend_address() {
  # shellcheck disable=SC2016  # a Go template, not a shell expansion
  "$ENGINE" inspect -f '{{range $name, $net := .NetworkSettings.Networks}}{{$name}} {{$net.IPAddress}}{{"\n"}}{{end}}' "$1" </dev/null |
    awk '$1 ~ /[_-]frontend$/ && $2 != "" { print $2 ":4000"; exit }'
}

# set_upstream PROXY [UPSTREAM]: renders the proxy's upstream (entrypoint.sh with API_UPSTREAM, a
# space-separated host:port list; none: the service name api:4000) and reloads nginx gracefully after
# checking the configuration (workers of the old configuration finish the requests they serve).
set_upstream() {
  "$ENGINE" exec -e TP_RENDER_ONLY=1 -e "API_UPSTREAM=${2:-api:4000}" "$1" taskplatform-proxy-entrypoint </dev/null &&
    "$ENGINE" exec "$1" nginx -t -q </dev/null &&
    "$ENGINE" exec "$1" nginx -s reload </dev/null
}

# True when the container runs and its own healthcheck command (label org.taskplatform.health-exec)
# passes: engine-agnostic, Podman runs no healthchecks without systemd.
replica_healthy() {
  local check
  [[ "$("$ENGINE" inspect -f '{{.State.Status}}' "$1" </dev/null 2>/dev/null)" == running ]] || return 1
  check=$("$ENGINE" inspect -f '{{index .Config.Labels "org.taskplatform.health-exec"}}' "$1" </dev/null)
  # shellcheck disable=SC2086  # the label is a command line
  "$ENGINE" exec "$1" $check </dev/null >/dev/null 2>&1
}

# answers_of PROXY SINCE ADDRESSES: "<answers> <5xx>" of the proxy's access-log lines since SINCE that an
# address of ADDRESSES (space-separated host:port list) served; a retried request counts for the replica
# that answered last.
answers_of() {
  "$ENGINE" logs --since "$2" "$1" 2>/dev/null </dev/null | awk -v wanted=" $3 " '
    match($0, /"upstreamAddr":"[^"]*"/) {
      n = split(substr($0, RSTART + 16, RLENGTH - 17), tried, ", ")
      if (index(wanted, " " tried[n] " ") == 0) next
      answers++
      if ($0 ~ /"status":5[0-9][0-9],/) errors++
    }
    END { print answers + 0, errors + 0 }'
}

# too_many_5xx ANSWERS ERRORS MAX_RATIO: true when more than MAX_RATIO of the answers were 5xx.
too_many_5xx() { awk -v a="$1" -v e="$2" -v max="$3" 'BEGIN { exit !(a > 0 && e / a > max) }'; }

# replica_wait ID START TIMEOUT: waits until container ID passes its healthcheck; fails with the reason
# in REPLICA_FAILURE when it exits or crash-loops, or when TIMEOUT seconds have passed since START
# (a $SECONDS value).
replica_wait() {
  local id=$1 start=$2 timeout=$3
  until replica_healthy "$id"; do
    if [[ "$("$ENGINE" inspect -f '{{.State.Status}}' "$id" </dev/null 2>/dev/null)" =~ ^(exited|dead|restarting)$ ]]; then
      REPLICA_FAILURE="new replica $id exited: $("$ENGINE" logs --tail 3 "$id" 2>&1 </dev/null | tr '\n' ' ')"
      return 1
    fi
    if ((SECONDS - start >= timeout)); then
      REPLICA_FAILURE="new replica $id not healthy after ${timeout}s"
      return 1
    fi
    sleep 2
  done
}
