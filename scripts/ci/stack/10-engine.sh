#!/usr/bin/env bash
# Step: a Docker engine and docker-compose; the teardown on exit (sourced by scripts/ci/stack-test.sh).
# The teardown runs through trap, which shellcheck cannot follow:
# shellcheck disable=SC2317
step_engine() {
  say "container engine"
  if ! engine_ensure; then
    fail "a Docker engine runs on this machine (install docker.io and run as root; see docs/stack-test.md)"
    stack_stop
  fi
  pass "docker engine answers ($("$DOCKER" version -f '{{.Server.Version}}' 2>/dev/null), storage $("$DOCKER" info -f '{{.Driver}}' 2>/dev/null))"
  COMPOSE_BIN=$(command -v docker-compose || true)
  if [[ -z "$COMPOSE_BIN" ]]; then
    fail "docker-compose is installed"
    stack_stop
  fi
  WORK=""
  PROJECT=""
  trap stack_cleanup EXIT
  trap 'exit 130' INT TERM
  # The project's scripts call `docker` from PATH: make it Debian's client (the one matching the daemon;
  # a newer client elsewhere on PATH needs the buildx plugin to build).
  SHIM=$(mktemp -d /var/tmp/tp-stack-bin.XXXXXX)
  ln -s "$DOCKER" "$SHIM/docker"
  export PATH="$SHIM:$PATH"
  export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
}

stack_cleanup() {
  local status=$?
  if ((KEEP)) && [[ -n "${WORK:-}" ]]; then
    printf '\nstack left running (--keep): cd %s && docker-compose -p %s down -v\n' "$WORK" "$PROJECT"
  elif [[ -n "${WORK:-}" && -d "$WORK" ]]; then
    echo
    echo "tearing down project $PROJECT"
    compose down -v --remove-orphans -t 10 >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
  rm -rf "${SHIM:-}"
  exit "$status"
}
