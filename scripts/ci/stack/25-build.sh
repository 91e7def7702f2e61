#!/usr/bin/env bash
# Step: the project's images from their real Containerfiles; which services start (sourced by
# scripts/ci/stack-test.sh). Sets SERVICES and LEFT_OUT (no stand-in image: Grafana, Loki, Alloy…).
step_build() {
  say "project images (real Containerfiles)"
  local svc img build started log
  while read -r svc img build; do
    [[ "$build" == build ]] || continue
    started=$SECONDS
    log="$WORK/.build-$svc.log"
    if compose build "$svc" >"$log" 2>&1; then
      pass "image for $svc builds ($((SECONDS - started)) s)"
    else
      tail -n 30 "$log"
      fail "image for $svc builds"
    fi
  done < <(services_of_file)

  # Services to start: everything compose lists except those whose image has no stand-in.
  local -A image_of=()
  local ref skip
  while read -r svc img build; do
    [[ "$build" == build ]] || image_of[$svc]=$img
  done < <(services_of_file)
  SERVICES=()
  LEFT_OUT=()
  while read -r svc; do
    skip=0
    for ref in "${SKIPPED_REFS[@]}"; do [[ "${image_of[$svc]:-}" == "$ref" ]] && skip=1; done
    if ((skip)); then LEFT_OUT+=("$svc"); else SERVICES+=("$svc"); fi
  done < <(compose config --services 2>/dev/null)
  if ((${#LEFT_OUT[@]})); then
    echo "LEFT OUT (no Debian package, so no stand-in image; not started here): ${LEFT_OUT[*]}"
  fi
  echo "services started: ${SERVICES[*]}"
  if ((${#SERVICES[@]} == 0)); then
    fail "compose config lists services"
    exit 1
  fi
}
