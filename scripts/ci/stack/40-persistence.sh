#!/usr/bin/env bash
# Step: a user, a task and a Redis key survive docker-compose down + up (named volumes) (sourced by
# scripts/ci/stack-test.sh). Sets WARM_START (seconds, empty when not healthy in time).
step_persistence() {
  say "data survives down + up (named volumes)"
  local email="stack-$$-$RANDOM@example.test" password="Stack-test-pass-$RANDOM-$RANDOM!"
  local title="survives down+up $$" token project_id warm_started
  api POST /api/auth/register "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"Stack Test\"}"
  token=$(resp_field accessToken || true)
  check "register through the proxy (HTTP $(status))" test -n "$token"
  api POST /api/projects '{"name":"Stack test"}' "$token"
  project_id=$(resp_field id || true)
  api POST /api/tasks "{\"projectId\":\"$project_id\",\"title\":\"$title\"}" "$token"
  check "create a project and a task (HTTP $(status))" test "$(status)" = 201
  redis_cli SET taskplatform:stack-test:persist "$$" >/dev/null 2>&1 || true
  DOWN_LOG="$WORK/.down.log"
  if compose_down -t 20; then
    pass "docker-compose down (volumes kept$( ((DOWN_RETRIED)) && echo '; run again: the engine kept a removed endpoint'))"
  else
    fail "docker-compose down"
    tail -n 20 "$DOWN_LOG"
  fi
  check "no container left after down" test -z "$(project_containers -a)"
  warm_started=$SECONDS
  compose up -d "${SERVICES[@]}" >"$WORK/.up2.log" 2>&1 || { tail -n 20 "$WORK/.up2.log"; }
  if wait_healthy "$STACK_TIMEOUT"; then
    WARM_START=$((SECONDS - warm_started))
    pass "healthy again after up ($WARM_START s)"
  else
    WARM_START=""
    fail "healthy again after up"
  fi
  api POST /api/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}"
  token=$(resp_field accessToken || true)
  check "the user still logs in after down + up (HTTP $(status))" test -n "$token"
  api GET "/api/tasks?projectId=$project_id" "" "$token"
  check "the task is still there after down + up" grep -qF "$title" "$WORK/.resp"
  check "the Redis key is still there after down + up (AOF volume)" \
    test "$(redis_cli GET taskplatform:stack-test:persist 2>/dev/null | tr -d '\r')" = "$$"
}

# shellcheck disable=SC2016  # expanded inside the container
redis_cli() { compose exec -T redis sh -c 'REDISCLI_AUTH="$(cat /run/secrets/redis_password)" redis-cli "$@"' sh "$@"; }
