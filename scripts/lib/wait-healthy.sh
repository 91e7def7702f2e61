#!/usr/bin/env bash
# Waiting for services (sourced): the polling loop of the scripts that wait for a stack to become healthy
# (scripts/test-complete.sh, scripts/ci/stack-test.sh, scripts/ci/podman-quickstart.sh,
# systemd/deploy-quadlet.sh); each passes its own test of "healthy".

# wait_until SECONDS INTERVAL COMMAND...: runs COMMAND every INTERVAL seconds until it succeeds (returns 0)
# or SECONDS have passed (returns 1; COMMAND ran at least once).
wait_until() {
  local deadline=$((SECONDS + $1)) interval=$2
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep "$interval"
  done
}
