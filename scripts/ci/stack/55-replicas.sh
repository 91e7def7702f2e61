#!/usr/bin/env bash
# Step: two API replicas behind the proxy, both served (sourced by scripts/ci/stack-test.sh).
step_replicas() {
  say "two API replicas behind the proxy (--scale api=2)"
  local apis=() tag="stacktest$$" i id n served=0
  compose up -d --no-recreate --scale api=2 "${SERVICES[@]}" >"$WORK/.scale.log" 2>&1 || tail -n 20 "$WORK/.scale.log"
  wait_healthy "$STACK_TIMEOUT" || true
  mapfile -t apis < <(project_containers --filter "label=com.docker.compose.service=api")
  check "two api containers run and are healthy" test "${#apis[@]}" -eq 2
  # nginx older than 1.27.3 resolves the upstream name at (re)load only: reload it, as scripts/deploy.sh
  # does after scaling (the real 1.28 image re-resolves by itself).
  "$DOCKER" kill -s HUP "$(cid proxy)" >/dev/null 2>&1 || true
  sleep 2
  for i in $(seq 1 30); do
    curl -sk -o /dev/null --max-time 5 "$BASE_URL/api/$tag-$i" || true
  done
  for id in "${apis[@]}"; do
    n=$("$DOCKER" logs "$id" 2>&1 | grep -c "$tag" || true)
    echo "  api ${id:0:12}: $n of 30 requests"
    ((n > 0)) && served=$((served + 1))
  done
  check "the proxy sends requests to both API replicas" test "$served" -eq 2
}
