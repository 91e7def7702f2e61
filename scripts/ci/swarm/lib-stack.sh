#!/usr/bin/env bash
# The real TaskPlatform stack on the three test nodes (sourced by scripts/ci/swarm-test.sh --real, after
# lib-nodes.sh and lib-images.sh): a private copy of the tree with scripts/setup.sh's .env and secrets,
# the stack rendered from compose.yaml (scripts/swarm/render-stack.ts) and deployed by
# scripts/swarm/deploy.sh on node1, the smoke test through a node's proxy, and the node loss under a
# load of writes and reads (scripts/ci/swarm/node-loss-load.ts).

REAL_STACK=tp
# The test's load comes from one address and one user: above the per-address and per-user defaults,
# which a real audience spreads over many.
# TP_IMAGE_TAG: a tag no other run builds, so the project's images are built on node1 from this tree.
REAL_ENV=("SWARM_STACK_NAME=$REAL_STACK" SWARM_OVERLAY_ENCRYPTED=false SWARM_ENDPOINT_MODE=dnsrr TP_IMAGE_TAG=swarm-test
  RATE_LIMIT_IP=1000000 RATE_LIMIT_USER=1000000 PROXY_API_RATE=1000 COMPOSE_PROFILES=)
# The window the load runs for after the power cut: recovery must fit in it with time to spare.
REAL_LOSS_WINDOW=${SWARM_LOSS_WINDOW:-45}
REAL_MAX_RECOVERY=30

# real_prepare: $REAL_WORK, a copy of the tracked and untracked files (not the ignored ones) with .env,
# secrets and certificates from scripts/setup.sh, and the rendered stack file in $REAL_WORK/rendered.
real_prepare() {
  REAL_WORK=$(mktemp -d /var/tmp/tp-swarm-stack.XXXXXX)
  (cd "$SWARM_LIB_DIR/../../.." && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$REAL_WORK")
  (cd "$REAL_WORK" && bash scripts/setup.sh --no-build </dev/null >"$REAL_WORK/.setup.log" 2>&1) || {
    tail -n 20 "$REAL_WORK/.setup.log" >&2
    return 1
  }
  (cd "$REAL_WORK" && env "${REAL_ENV[@]}" bun scripts/swarm/render-stack.ts --env-file .env --out rendered)
}

# The images the rendered stack runs.
real_images() { awk '$1 == "image:" { print $2 }' "$REAL_WORK/rendered/stack.yml" | sort -u; }

# real_deploy: scripts/swarm/deploy.sh --no-build against node1 (labels, secrets, render, stack deploy,
# waits until every service runs all its tasks, healthchecks passed).
real_deploy() {
  (cd "$REAL_WORK" && env "${REAL_ENV[@]}" DOCKER="/usr/bin/docker -H unix://$(node_sock 1)" \
    SWARM_RENDER_DIR="$REAL_WORK/rendered" DEPLOY_TIMEOUT="$CONVERGE_TIMEOUT" bash scripts/swarm/deploy.sh --no-build)
}

real_base() { echo "https://$(node_ip "$1"):$(real_env HTTPS_PORT)"; }
real_env() { sed -n "s/^$1=//p" "$REAL_WORK/.env" | tail -n 1; }

# real_api N METHOD PATH [JSON] [TOKEN]: through node N's proxy; the body in $REAL_WORK/.resp, prints the status.
real_api() {
  local args=(-sk -m 15 -o "$REAL_WORK/.resp" -w '%{http_code}' -X "$2")
  [[ -n "${4:-}" ]] && args+=(-H 'content-type: application/json' --data "$4")
  [[ -n "${5:-}" ]] && args+=(-H "authorization: Bearer $5")
  curl "${args[@]}" "$(real_base "$1")$3" || true
}
real_field() { bun "$SWARM_LIB_DIR/../ci-tool.ts" json "$1" <"$REAL_WORK/.resp"; }

# real_smoke N: register, log in, a project, a task, the list, through node N's proxy.
real_smoke() {
  local n=$1 email="swarm-$$-$RANDOM@example.test" password="Swarm-test-pass-$RANDOM-$RANDOM!" token project
  check "register through node$n's proxy" test "$(real_api "$n" POST /api/auth/register \
    "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"Swarm Test\"}")" = 201
  check "log in" test "$(real_api "$n" POST /api/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}")" = 200
  token=$(real_field accessToken || true)
  check "create a project" test "$(real_api "$n" POST /api/projects '{"name":"Swarm smoke"}' "$token")" = 201
  project=$(real_field id || true)
  check "create a task" test "$(real_api "$n" POST /api/tasks "{\"projectId\":\"$project\",\"title\":\"swarm smoke\"}" "$token")" = 201
  check "the list has it" test "$(real_api "$n" GET "/api/tasks?projectId=$project" "" "$token")" = 200
  check "…with its title" grep -qF '"swarm smoke"' "$REAL_WORK/.resp"
}

# real_task_container N SERVICE: the id of SERVICE's running container on node N (empty: none).
real_task_container() { node_docker "$1" ps -q -f "label=com.docker.swarm.service.name=${REAL_STACK}_$2" 2>/dev/null | head -n 1; }

# real_pg_primary_node: the node whose Patroni member is the leader (Patroni's /primary answers 200).
real_pg_primary_node() {
  local n i cid
  for n in "${SWARM_NODES[@]}"; do
    for i in 1 2 3; do
      cid=$(real_task_container "$n" "pg$i")
      [[ -n "$cid" ]] || continue
      if node_docker "$n" exec "$cid" python3 -c \
        "import urllib.request as u; u.urlopen('http://127.0.0.1:8008/primary', timeout=3)" >/dev/null 2>&1; then
        echo "$n"
        return 0
      fi
    done
  done
  return 1
}

# real_pg_primary_among N...: one of these nodes holds the PostgreSQL primary.
real_pg_primary_among() {
  local primary
  primary=$(real_pg_primary_node) || return 1
  [[ " $* " == *" $primary "* ]]
}

# real_roles N: what node N holds, e.g. "pg primary, redis replica, api×1".
real_roles() {
  local n=$1 i cid role roles=() apis
  for i in 1 2 3; do
    [[ -n "$(real_task_container "$n" "pg$i")" ]] &&
      roles+=("pg $([[ "$(real_pg_primary_node)" == "$n" ]] && echo primary || echo replica)")
    cid=$(real_task_container "$n" "redis$i")
    if [[ -n "$cid" ]]; then
      # shellcheck disable=SC2016  # expanded inside the container
      role=$(node_docker "$n" exec "$cid" sh -c 'REDISCLI_AUTH="$(cat /run/secrets/redis_password)" redis-cli role' | head -n 1)
      role=${role/master/primary}
      roles+=("redis ${role/slave/replica}")
    fi
  done
  apis=$(node_docker "$n" ps -q -f "label=com.docker.swarm.service.name=${REAL_STACK}_api" | wc -l)
  roles+=("api×$apis")
  printf '%s, ' "${roles[@]}" | sed 's/, $//'
}

# real_pg_member N: the name of node N's Patroni member (pg1..3).
real_pg_member() {
  local i
  for i in 1 2 3; do
    [[ -n "$(real_task_container "$1" "pg$i")" ]] && echo "pg$i" && return 0
  done
  return 1
}

# real_patronictl N ARGS…: patronictl in node N's Patroni member.
real_patronictl() {
  local n=$1 cid
  shift
  cid=$(real_task_container "$n" "$(real_pg_member "$n")") || return 1
  node_docker "$n" exec "$cid" patronictl -c /tmp/patroni.yml "$@"
}

# real_pg_role MEMBER: its role in `patronictl list` (Leader, Sync Standby, Replica), asked on the primary's node.
real_pg_role() {
  real_patronictl "$(real_pg_primary_node)" list -f json |
    bun -e "const m = JSON.parse(await Bun.stdin.text()).find((x) => x.Member === '$1'); console.log(m ? m.Role : '')"
}

real_pg_is_standby() { [[ "$(real_pg_role "$1")" == "Sync Standby" ]]; }

# real_switchover_to N: Patroni's primary moves to node N's member, unless there. With synchronous_mode
# Patroni hands over to the synchronous standby only (a --candidate that is not it is refused: the cause of
# an earlier failed run), and keeps its standby while that one streams: when N's member is the other
# replica, the standby's PostgreSQL restarts first (again, until the primary names N's member instead).
real_switchover_to() {
  local n=$1 from member standby _
  from=$(real_pg_primary_node) || return 1
  ((from == n)) && return 0
  member=$(real_pg_member "$n") || return 1
  # the primary names another standby only if its loop (every 5 s) runs while the restart is under way
  for _ in 1 2 3 4 5 6; do
    real_pg_is_standby "$member" && break
    standby=$(real_patronictl "$from" list -f json |
      bun -e "console.log(JSON.parse(await Bun.stdin.text()).find((x) => x.Role === 'Sync Standby')?.Member ?? '')")
    [[ -z "$standby" ]] || real_patronictl "$from" restart taskplatform "$standby" --force >/dev/null || true
    wait_for 15 real_pg_is_standby "$member" && break
  done
  # patronictl exits 0 on a refusal too ("Switchover failed, details: 412, …")
  real_patronictl "$from" switchover --candidate "$member" --force | grep -F 'Successfully switched over' >/dev/null &&
    wait_for 60 real_pg_primary_among "$n"
}

# real_api_to N: an API replica on node N, unless there. A forced start-first update of the two replicas
# (at most one per node) starts its first new task on the only node without one: N. Quick monitor and
# delay, so the node loss never lands in the update's monitor window (a task lost there rolls back).
real_api_to() {
  [[ -n "$(real_task_container "$1" api)" ]] && return 0
  node_docker 1 service update -q --detach --force --update-delay 0s --update-monitor 5s "${REAL_STACK}_api" >/dev/null &&
    wait_for 180 real_api_updated "$1"
}
real_api_updated() {
  [[ -n "$(real_task_container "$1" api)" ]] &&
    [[ "$(node_docker 1 service inspect -f '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "${REAL_STACK}_api")" == completed ]] &&
    swarm_service_converged 1 "${REAL_STACK}_api"
}

# real_pg_settled: three Patroni members running, a synchronous standby and no replica lagging (after a
# switchover the old primary rewinds and rejoins for a while): the state a node loss must find.
real_pg_settled() {
  real_patronictl "$(real_pg_primary_node)" list -f json | bun -e '
    const m = JSON.parse(await Bun.stdin.text());
    const ok = m.length === 3 && m.every((x) => x.State === "running" && !x["Lag in MB"]) &&
      m.filter((x) => x.Role === "Leader").length === 1 && m.some((x) => x.Role === "Sync Standby");
    process.exit(ok ? 0 : 1);'
}

# real_node_loss: the node holding the PostgreSQL primary loses its power while the load goes through
# a surviving node's proxy; then the acknowledged writes are read back through the other survivor.
real_node_loss() {
  local lost others=() n roles report cut ready line requests r503 failed lost_writes recovered started_ms in_flight workers
  if [[ -n "${SWARM_LOSS_NODE:-}" ]]; then
    check "the PostgreSQL primary moved to node$SWARM_LOSS_NODE first (patronictl switchover)" real_switchover_to "$SWARM_LOSS_NODE"
    check "an API replica on node$SWARM_LOSS_NODE (forced start-first update)" real_api_to "$SWARM_LOSS_NODE"
  fi
  check "PostgreSQL settled: three members running, a synchronous standby, no lag" wait_for 120 real_pg_settled
  lost=$(real_pg_primary_node) || {
    fail "a Patroni member is the primary"
    return
  }
  for n in "${SWARM_NODES[@]}"; do ((n == lost)) || others+=("$n"); done
  roles=$(real_roles "$lost")
  say "node loss: node$lost ($roles) loses its power under a load through node${others[0]}'s proxy"
  report=$REAL_WORK/node-loss.json
  cut=$REAL_WORK/cut
  ready=$REAL_WORK/ready
  : >"$cut"
  bun "$SWARM_LIB_DIR/node-loss-load.ts" run --base "$(real_base "${others[0]}")" --cut-file "$cut" \
    --ready "$ready" --out "$report" &
  # swarm-test.sh's load_stop ends it (SIGTERM: it writes its report), on an abort too
  # shellcheck disable=SC2034
  LOAD_PID=$!
  wait_for 60 test -s "$ready" || fail "the load starts within 60 s"
  # a few seconds of load on the whole stack before the cut (a measurement window, not a wait)
  sleep 5
  # the cut's start and the moment every process of the node is gone: a request the lost node's API was
  # answering meanwhile dies with it (nginx retries no POST: the write may have happened)
  started_ms=$(date +%s%3N)
  node_power_off "$lost"
  echo "$started_ms $(date +%s%3N)" >"$cut"
  if wait_for 60 real_pg_primary_among "${others[@]}"; then
    pass "a PostgreSQL primary on node$(real_pg_primary_node) after $(($(date +%s%3N) - started_ms)) ms"
  else
    fail "Patroni elects a primary on a surviving node within 60 s"
  fi
  # the measurement window: the load keeps going until REAL_LOSS_WINDOW s after the cut
  sleep "$(awk -v w="$REAL_LOSS_WINDOW" -v c="$started_ms" -v now="$(date +%s%3N)" 'BEGIN { s = w - (now - c) / 1000; print (s > 0 ? s : 0) }')"
  load_stop
  if [[ ! -s "$report" ]]; then
    fail "the load wrote its report"
    return
  fi
  lost_writes=$(bun "$SWARM_LIB_DIR/node-loss-load.ts" verify --base "$(real_base "${others[1]}")" --report "$report") ||
    lost_writes=unknown
  read -r requests r503 failed in_flight workers recovered < <(bun -e "const r = await Bun.file('$report').json();
    console.log(r.requests, r.answered503, r.failedOtherwise, r.inFlightFailed, r.workers, r.recoveredSeconds.toFixed(1))")
  line="node loss (node$lost: $roles): $requests requests, $r503 answered 503, $failed failed otherwise, $in_flight in flight on the dying node failed, $lost_writes acknowledged writes lost, recovered in $recovered s"
  echo "$line"
  bun -e "const r = await Bun.file('$report').json(); console.log('other statuses', JSON.stringify(r.otherStatuses), 'errors', JSON.stringify(r.errors))"
  SUMMARY+=("$line")
  check "0 requests failed otherwise than 503 through node${others[0]} ($failed)" test "$failed" -eq 0
  check "at most one request per load loop failed in flight on the dying node ($in_flight of $workers loops)" \
    test "$in_flight" -le "$workers"
  check "0 acknowledged writes lost, read back through node${others[1]} ($lost_writes)" test "$lost_writes" = 0
  check "recovered in at most $REAL_MAX_RECOVERY s ($recovered s)" \
    awk -v r="$recovered" -v m="$REAL_MAX_RECOVERY" 'BEGIN { exit !(r <= m) }'

  local started=$EPOCHREALTIME
  node_power_on "$lost"
  if wait_for 90 swarm_managers_ready 1 3; then
    pass "node$lost is back: three managers Ready after $(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
  else
    fail "node$lost rejoins as a Ready manager within 90 s" "$(node_docker 1 node ls 2>&1)"
  fi
  check "the stack runs everywhere again (node$lost's members rejoin)" wait_for "$CONVERGE_TIMEOUT" stack_converged 0
  check "…and still answers through node$lost's proxy" wait_for 30 real_smoke_quiet "$lost"
}

real_smoke_quiet() { test "$(real_api "$1" GET /api/health)" = 200; }
