#!/usr/bin/env bash
# Step: scripts/upgrade.sh under load through the TLS proxy: 60 requests/s of reads and writes and 20
# event streams (scripts/ci/upgrade-load.ts) while the API replicas are replaced, then the same with an
# image that never becomes healthy, which must be rolled back (sourced by scripts/ci/stack-test.sh).
step_upgrade() {
  say "zero-downtime upgrade under load (scripts/upgrade.sh), and a broken image rolled back"
  local base_image=localhost/taskplatform-api:${TP_IMAGE_TAG:-latest} out status
  out=$(cd "$WORK" && bash scripts/upgrade.sh --dry-run 2>&1) || true
  check "upgrade --dry-run prints the plan" grep -q "drain the old replicas" <<<"$out"

  local db_before
  db_before=$(cid postgres)
  # A new image that differs from the running one only by a label: every replica is replaced.
  printf 'FROM %s\nLABEL org.taskplatform.upgrade-test=next\n' "$base_image" |
    "$DOCKER" build -q -t localhost/taskplatform-api:next - >/dev/null
  upgrade_under_load next "$WORK/.upgrade.log"
  status=$UPGRADE_STATUS
  check "upgrade exits 0" test "$status" -eq 0
  ((status == 0)) || tail -n 30 "$WORK/.upgrade.log"
  check_load "upgrade"
  check "every api replica runs the new image" replicas_run localhost/taskplatform-api:next
  check "the database container was left running as it was" test "$(cid postgres)" = "$db_before"

  # A broken release: its migrations are this release's (so the migrate step passes), but `serve`
  # fails at once, so its replicas crash-loop and never become healthy.
  local broken
  broken=$(mktemp -d /var/tmp/tp-broken.XXXXXX)
  cp -a "$WORK/." "$broken"
  sed -i 's|await serve(command);|fail("a deliberately broken release", 1);|' "$broken/api/src/main.ts"
  check "the broken release builds" "$DOCKER" build -q -f "$broken/api/Containerfile" -t localhost/taskplatform-api:broken "$broken"
  rm -rf "$broken"
  upgrade_under_load broken "$WORK/.rollback.log" --timeout 90
  status=$UPGRADE_STATUS
  check "upgrade to a broken image exits 3 (rolled back)" test "$status" -eq 3
  check "upgrade says it rolled back" grep -q "rolled back" "$WORK/.rollback.log"
  ((status == 3)) || tail -n 30 "$WORK/.rollback.log"
  check_load "rollback"
  check "the api replicas still run the previous image" replicas_run localhost/taskplatform-api:next
}

# upgrade_under_load TAG LOG [upgrade.sh options]: runs the upgrade while scripts/ci/upgrade-load.ts
# loads the stack; sets UPGRADE_STATUS, LOAD_REPORT (the report's file) and LOAD_LOG.
upgrade_under_load() {
  local tag=$1 log=$2 ready="$WORK/.load-ready" loader
  shift 2
  LOAD_REPORT="$WORK/.load-$tag.json"
  LOAD_LOG="$WORK/.load-$tag.log"
  rm -f "$ready" "$LOAD_REPORT"
  # Two users: sign-ups count against the proxy's auth limit (20/min), which the earlier steps used too.
  bun "$REPO/scripts/ci/upgrade-load.ts" --base "$BASE_URL" --rps 60 --streams 20 --users 2 --ready "$ready" \
    --out "$LOAD_REPORT" >"$LOAD_LOG" 2>&1 &
  loader=$!
  if ! wait_until 60 1 test -e "$ready"; then
    cat "$LOAD_LOG"
    kill "$loader" 2>/dev/null || true
  fi
  UPGRADE_STATUS=0
  (cd "$WORK" && bash scripts/upgrade.sh --image "$tag" --canary 15 --drain 30 "$@") >"$log" 2>&1 || UPGRADE_STATUS=$?
  sed 's/^/    upgrade: /' "$log" | tail -n 12
  kill -TERM "$loader" 2>/dev/null || true
  wait "$loader" || true
}

# check_load WHAT: the load saw no failed request and every stream got every event.
check_load() {
  local what=$1 field
  if [[ ! -s "$LOAD_REPORT" ]]; then
    fail "$what: the load generator wrote its report" "$(tail -n 5 "$LOAD_LOG" 2>/dev/null)"
    return
  fi
  echo "  $what under load: $(ci_tool json sent <"$LOAD_REPORT") requests at $(ci_tool json achievedRps <"$LOAD_REPORT" | cut -c1-5)/s," \
    "longest $(ci_tool json longestMs <"$LOAD_REPORT" | cut -d. -f1) ms, $(ci_tool json reconnects <"$LOAD_REPORT") stream reconnects," \
    "$(ci_tool json resetsResent <"$LOAD_REPORT") sent again after nginx's reload closed their kept-alive connection"
  local failed=0
  for field in non2xx connectionErrors missedEvents resyncs; do
    if [[ "$(ci_tool json "$field" <"$LOAD_REPORT")" == 0 ]]; then pass "$what: $field = 0"; else
      fail "$what: $field = 0" "$(ci_tool json "$field" <"$LOAD_REPORT")"
      failed=1
    fi
  done
  ((failed == 0)) || load_diagnostics
}

# True when every running api container runs IMAGE.
replicas_run() {
  local id image want
  want=$("$DOCKER" image inspect -f '{{.Id}}' "$1")
  while read -r id; do
    [[ -n "$id" ]] || continue
    image=$("$DOCKER" inspect -f '{{.Image}}' "$id")
    [[ "$image" == "$want" ]] || return 1
  done < <(project_containers --filter "label=com.docker.compose.service=api")
}

# What the report, the API replicas' error lines and the proxy's failed answers say, after a failed check.
load_diagnostics() {
  local id
  # Diagnostics only: nothing here may end the run (a grep that finds nothing fails under pipefail).
  set +e
  sed 's/^/    report: /' "$LOAD_REPORT"
  while read -r id; do
    [[ -n "$id" ]] || continue
    "$DOCKER" logs --since 5m "$id" 2>&1 | grep -E '"level":"(warn|error)"' | tail -n 8 | sed "s/^/    api ${id:0:12}: /"
  done < <(project_containers -a --filter "label=com.docker.compose.service=api")
  "$DOCKER" logs --since 5m "$(cid proxy)" 2>/dev/null | grep -E '"status":(5[0-9][0-9]|429),' | tail -n 8 | sed 's/^/    proxy: /'
  "$DOCKER" logs --since 5m "$(cid redis)" 2>&1 | tail -n 5 | sed 's/^/    redis: /'
  "$DOCKER" logs --since 5m "$(cid postgres)" 2>&1 | grep -Ev '^\s*$' | tail -n 5 | sed 's/^/    postgres: /'
  set -e
}
