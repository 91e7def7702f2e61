#!/usr/bin/env bash
# Step: docker-compose up on fresh volumes, every service healthy (sourced by scripts/ci/stack-test.sh).
# Sets COLD_START (seconds, empty when not healthy in time).
step_cold_start() {
  say "cold start: docker-compose up -d (fresh volumes)"
  local up_started=$SECONDS up_epoch
  up_epoch=$(date +%s.%N)
  if compose up -d "${SERVICES[@]}" >"$WORK/.up.log" 2>&1; then
    pass "docker-compose up -d"
  else
    tail -n 30 "$WORK/.up.log"
    fail "docker-compose up -d"
  fi
  if wait_healthy "$STACK_TIMEOUT"; then
    COLD_START=$((SECONDS - up_started))
    pass "every service healthy ($COLD_START s after up)"
    timeline "$up_epoch"
  else
    COLD_START=""
    fail "every service healthy within $STACK_TIMEOUT s"
  fi
  compose ps
}
