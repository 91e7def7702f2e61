#!/usr/bin/env bash
# shellcheck disable=SC2034  # BASE_URL is read by the later steps
# Step: a private copy of the tree, free ports, scripts/setup.sh (sourced by scripts/ci/stack-test.sh).
step_setup() {
  # A private copy of the working tree (tracked + untracked, not ignored files): setup.sh writes .env,
  # secrets/ and certificates there, and builds use it as their context, isolated from edits in the tree.
  WORK=$(mktemp -d /var/tmp/tp-stack.XXXXXX)
  (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$WORK")
  PROJECT=tpstack$$
  export COMPOSE_PROJECT_NAME=$PROJECT TP_ENGINE=docker TP_ENV_FILE="$WORK/.env"

  export HTTP_BIND=127.0.0.1 HTTPS_BIND=127.0.0.1 PROMETHEUS_BIND=127.0.0.1 GRAFANA_BIND=127.0.0.1
  HTTP_PORT=$(ci_tool free-port)
  HTTPS_PORT=$(ci_tool free-port)
  PROMETHEUS_PORT=$(ci_tool free-port)
  GRAFANA_PORT=$(ci_tool free-port)
  export HTTP_PORT HTTPS_PORT PROMETHEUS_PORT GRAFANA_PORT PUBLIC_HTTPS_PORT=$HTTPS_PORT
  BASE_URL="https://127.0.0.1:$HTTPS_PORT"
  # The upgrade step's load (60 requests/s) comes from one address and two users: above the proxy's and
  # the API's per-address and per-user defaults, which a real audience spreads over many.
  export RATE_LIMIT_IP=1000000 RATE_LIMIT_USER=1000000 PROXY_API_RATE=1000

  say "scripts/setup.sh (non-interactive: .env, secrets, certificates)"
  local setup_args=()
  if grep -q -- '--no-build' "$WORK/scripts/setup.sh" 2>/dev/null; then setup_args+=(--no-build); fi
  if [[ -x "$WORK/scripts/setup.sh" || -f "$WORK/scripts/setup.sh" ]]; then
    if (cd "$WORK" && bash scripts/setup.sh "${setup_args[@]}" </dev/null >"$WORK/.setup.log" 2>&1); then
      pass "setup.sh ${setup_args[*]} succeeds"
    else
      tail -n 30 "$WORK/.setup.log"
      fail "setup.sh ${setup_args[*]} succeeds"
    fi
  else
    fail "scripts/setup.sh exists"
  fi
  # The stack test's own ports and project (environment wins over .env for compose and scripts/lib.sh)
  [[ -f "$WORK/.env" || ! -f "$WORK/.env.example" ]] || cp "$WORK/.env.example" "$WORK/.env"
}
