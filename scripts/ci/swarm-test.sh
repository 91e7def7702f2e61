#!/usr/bin/env bash
# The three-node Swarm test of issue 22 on one machine (docs/swarm.md, "The three-node test on one
# machine"): three dockerd in network namespaces joined by a bridge (scripts/ci/swarm/), a swarm of three
# managers, the overlay check, a stack deployed and reached through every node, then a node lost twice
# under a request loop — node2's power cut (every process SIGKILLed), node3's cable pulled — each time
# measuring requests, failures and the time until the swarm has put the stack back together on the
# other nodes; each node comes back and rejoins. Always removes the nodes at the end.
# With --real: the TaskPlatform stack itself (scripts/ci/swarm/lib-stack.sh) instead of the demo stack,
# the smoke test through a node's proxy, and the power cut of the node holding the PostgreSQL primary
# under a load of writes and reads.
# Ends with the line "N passed, N failed".
# Functions called through trap look unreachable to shellcheck:
# shellcheck disable=SC2317
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/ci/swarm-test.sh [--real] [--stack FILE] [--images "REF..."] [--port N] [--path /P] [--keep] [--help]

  --real           the TaskPlatform stack rendered from compose.yaml (scripts/swarm/deploy.sh), the smoke
                   test through node1's proxy, then the node holding the PostgreSQL primary loses its
                   power under a load through a surviving node's proxy: prints "node loss (nodeN: …):
                   R requests, A answered 503, F failed otherwise, I in flight on the dying node failed,
                   W acknowledged writes lost, recovered in S s" and requires F = 0, W = 0, S <= 30 (SWARM_LOSS_WINDOW: seconds of load after
                   the cut, default 45; SWARM_LOSS_NODE=N: the primary and an API replica are moved to
                   node N first — node1 also holds the Redis primary and, usually, the swarm's leader:
                   the CI suite "three-node swarm" loses node1)
  --stack FILE     the stack file to deploy (default scripts/ci/swarm/demo/stack.yml: a proxy on every
                   node, port 8080 in host mode, in front of three app replicas on an overlay)
  --images "REF…"  images the stack needs, put on every node first (node1 gets them from the cache, the
                   default dockerd or a stand-in build; the others by docker save | docker load). The
                   demo image is always loaded; SWARM_DEMO_IMAGE names it for the stack file.
  --port N         the port published on every node that requests go to (default 8080)
  --path /P        the path requested (default /); any 2xx/3xx answer counts as success
  --keep           leave the nodes and the stack running (scripts/ci/swarm/nodes.sh down removes them)
  --help           this text

Environment: SWARM_FROM_DEFAULT=0 (never read images from the default dockerd), SWARM_MAX_FAILED_PERCENT
(failed requests allowed during a node loss, default 2), SWARM_LOCK_WAIT (seconds to wait for another run
to end, default 900), SWARM_CONVERGE_TIMEOUT (seconds, default 120;
300 with --real).
Needs root, iproute2, iptables, curl, Debian's docker.io and debootstrap. Never touches the default dockerd.
USAGE
}

# Not root (GitHub's runner user): again through sudo when it needs no password, with this PATH.
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  exec sudo -n -E env "PATH=$PATH" bash "${BASH_SOURCE[0]}" "$@"
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/report.sh
source "$HERE/../lib/report.sh"
# shellcheck source=scripts/ci/swarm/lib-nodes.sh
source "$HERE/swarm/lib-nodes.sh"
# shellcheck source=scripts/ci/lib-standins.sh
source "$HERE/lib-standins.sh"
# shellcheck source=scripts/ci/swarm/lib-images.sh
source "$HERE/swarm/lib-images.sh"
# shellcheck source=scripts/ci/swarm/lib-stack.sh
source "$HERE/swarm/lib-stack.sh"

STACK_FILE=$HERE/swarm/demo/stack.yml
STACK_IMAGES=""
PORT=8080
URL_PATH=/
KEEP=0
REAL=0
DOWN_DONE=0
while (($#)); do
  case "$1" in
    --real) REAL=1 ;;
    --stack) STACK_FILE=$2 && shift ;;
    --images) STACK_IMAGES=$2 && shift ;;
    --port) PORT=$2 && shift ;;
    --path) URL_PATH=$2 && shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage && exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2 && exit 2 ;;
  esac
  shift
done
STACK=$REAL_STACK
MAX_FAILED_PERCENT=${SWARM_MAX_FAILED_PERCENT:-2}
# the real stack starts PostgreSQL, etcd and Redis clusters and migrates before the API is healthy
CONVERGE_TIMEOUT=${SWARM_CONVERGE_TIMEOUT:-$((REAL ? 300 : 120))}

# ---------------------------------------------------------------------------------------------------
# The request loop: one request at a time, in turn through each target node, one line per request in
# LOAD_FILE: "<epoch seconds> <node> ok|fail".
LOAD_PID=""
LOAD_FILE=""
load_run() {
  local i=0 target code targets=("$@")
  while :; do
    target=${targets[i % ${#targets[@]}]}
    code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "http://$(node_ip "$target"):$PORT$URL_PATH" || true)
    if [[ "$code" =~ ^[23] ]]; then
      echo "$EPOCHREALTIME $target ok"
    else
      echo "$EPOCHREALTIME $target fail"
    fi
    i=$((i + 1))
    sleep 0.05
  done
}
load_start() {
  LOAD_FILE=$(mktemp /var/tmp/tp-swarm-load.XXXXXX)
  load_run "$@" >"$LOAD_FILE" &
  LOAD_PID=$!
}
load_count() { wc -l <"$LOAD_FILE"; }
load_more_than() { (($(load_count) > $1)); }
load_stop() {
  [[ -n "$LOAD_PID" ]] || return 0
  kill "$LOAD_PID" 2>/dev/null || true
  wait "$LOAD_PID" 2>/dev/null || true
  LOAD_PID=""
}

# The stack's services, and whether all run what they should with nothing of the replicated ones on
# node LOST (0: none lost).
stack_converged() {
  local lost=$1 service mode
  local ready running
  ready=$(node_docker 1 node ls --format '{{.Hostname}} {{.Status}}' | awk '$2 == "Ready" { print $1 }' | sort)
  while read -r service mode; do
    if [[ "$mode" == global ]]; then
      # `service ls` counts a Down node's task as wanted: compare with the Ready nodes instead
      running=$(node_docker 1 service ps -f desired-state=running --format '{{.Node}} {{.CurrentState}}' "$service" |
        awk '$2 == "Running" { print $1 }' | sort -u)
      [[ "$running" == "$ready" ]] || return 1
    else
      swarm_service_converged 1 "$service" || return 1
      if [[ "$lost" != 0 ]] &&
        node_docker 1 service ps -q -f desired-state=running -f "node=tp-swarm-$lost" "$service" | grep -q .; then
        return 1
      fi
    fi
  done < <(node_docker 1 stack services "$STACK" --format '{{.Name}} {{.Mode}}')
}

# node_loss KIND N: node N lost (KIND power-off or unplug) while requests go through the other two;
# measures and checks, then brings the node back.
node_loss() {
  local kind=$1 lost=$2 others=() n started down_after converged_after total failed tail_failed percent
  for n in "${SWARM_NODES[@]}"; do ((n == lost)) || others+=("$n"); done
  say "node loss: $kind node$lost under requests through node${others[0]} and node${others[1]}"
  load_start "${others[@]}"
  wait_for 30 load_more_than 20 || true
  started=$EPOCHREALTIME
  "node_${kind//-/_}" "$lost"
  if wait_for 90 bash -c "[[ \$(/usr/bin/docker -H unix://$(node_sock "${others[0]}") node inspect -f '{{.Status.State}}' tp-swarm-$lost) == down ]]"; then
    down_after=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    pass "the swarm marks node$lost Down after $down_after s; node${others[0]} still answers as a manager (quorum 2 of 3)"
  else
    fail "the swarm marks node$lost Down within 90 s"
  fi
  if wait_for "$CONVERGE_TIMEOUT" stack_converged "$lost"; then
    converged_after=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    pass "the stack reconverged without node$lost after $converged_after s"
  else
    converged_after=never
    fail "the stack reconverges without node$lost within $CONVERGE_TIMEOUT s" "$(node_docker 1 stack ps "$STACK" 2>&1 | head -n 20)"
  fi
  # 20 more requests after reconvergence: those must all succeed
  n=$(load_count)
  wait_for 30 load_more_than "$((n + 20))" || true
  load_stop
  total=$(awk -v t="$started" '$1 >= t' "$LOAD_FILE" | wc -l)
  failed=$(awk -v t="$started" '$1 >= t && $3 == "fail"' "$LOAD_FILE" | wc -l)
  tail_failed=$(tail -n 20 "$LOAD_FILE" | grep -c ' fail$' || true)
  percent=$(awk -v f="$failed" -v t="$total" 'BEGIN { printf "%.1f", t ? 100 * f / t : 100 }')
  echo "node loss ($kind node$lost): $total requests through node${others[0]}/node${others[1]}, $failed failed ($percent %), node Down after ${down_after:-never} s, stack reconverged after $converged_after s"
  SUMMARY+=("$kind node$lost: $total requests, $failed failed, reconverged after $converged_after s")
  check "at most $MAX_FAILED_PERCENT % of the requests failed while node$lost was lost ($failed of $total)" \
    awk -v p="$percent" -v m="$MAX_FAILED_PERCENT" 'BEGIN { exit !(p <= m) }'
  check "the last 20 requests after reconvergence all succeeded" test "$tail_failed" -eq 0
  rm -f "$LOAD_FILE"

  started=$EPOCHREALTIME
  if [[ "$kind" == power-off ]]; then node_power_on "$lost"; else node_plug "$lost"; fi
  if wait_for 90 swarm_managers_ready 1 3; then
    pass "node$lost is back: three managers Ready after $(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
  else
    fail "node$lost rejoins as a Ready manager within 90 s" "$(node_docker 1 node ls 2>&1)"
  fi
  check "the stack runs everywhere again (node$lost's proxy included)" wait_for "$CONVERGE_TIMEOUT" stack_converged 0
}

# ---------------------------------------------------------------------------------------------------
STARTED=$SECONDS
SUMMARY=()
finish() {
  local joined=""
  ((${#SUMMARY[@]})) && joined=$(printf '%s; ' "${SUMMARY[@]}")
  printf '\nthree-node swarm: %s\n' "${joined%; }"
  printf 'swarm-test: %d s in all\n' "$((SECONDS - STARTED))"
  report_summary "failed:"
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  load_stop
  [[ -z "${REAL_WORK:-}" ]] || rm -rf "$REAL_WORK"
  if ((DOWN_DONE)); then
    :
  elif ((KEEP)); then
    echo "left running (--keep): scripts/ci/swarm/nodes.sh status | down"
  else
    swarm_down
  fi
  exit "$status"
}

main() {
  if [[ $(id -u) -ne 0 ]]; then
    fail "runs as root (namespaces, bridge, iptables, daemons)"
    finish
    exit 1
  fi
  if [[ ! -f "$STACK_FILE" ]]; then
    fail "the stack file $STACK_FILE exists"
    finish
    exit 1
  fi
  # One run at a time on this machine: the nodes, bridge and names are fixed, and a second run's first
  # step removes whatever it finds (the daemons close this descriptor: lib-nodes.sh, node_start).
  exec 9>/run/lock/tp-swarm-test.lock
  if ! flock -w "${SWARM_LOCK_WAIT:-900}" 9; then
    fail "no other swarm-test.sh holds /run/lock/tp-swarm-test.lock (waited ${SWARM_LOCK_WAIT:-900} s)"
    finish
    exit 1
  fi
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  local n answer nodes_seen images step_started

  say "three nodes (network namespaces on the bridge $SWARM_BRIDGE), a swarm of three managers"
  swarm_down # whatever an interrupted run left
  step_started=$SECONDS
  if swarm_up; then
    pass "swarm formed in $((SECONDS - step_started)) s: $(node_docker 1 node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}' | paste -sd ',' | sed 's/,/, /g')"
  else
    fail "three dockerd in namespaces form a swarm of three Ready managers"
    finish
    exit 1
  fi

  if ((REAL)); then
    say "the TaskPlatform stack: a copy of the tree, scripts/setup.sh --no-build, the stack rendered"
    if real_prepare; then
      pass "setup.sh and render-stack.ts in $REAL_WORK"
      STACK_IMAGES="$STACK_IMAGES $(real_images | paste -sd ' ')"
      export SWARM_PROJECT_DIR=$REAL_WORK
    else
      fail "setup.sh and render-stack.ts"
      finish
      exit 1
    fi
  fi

  say "images onto the nodes (docker save | docker load)"
  export SWARM_DEMO_IMAGE
  SWARM_DEMO_IMAGE=$(swarm_demo_image)
  read -r -a images <<<"$SWARM_DEMO_IMAGE $STACK_IMAGES"
  step_started=$SECONDS
  if swarm_images_to_nodes "${images[@]}"; then
    pass "${#images[@]} image(s) on every node in $((SECONDS - step_started)) s: ${images[*]}"
  else
    fail "the images reach every node"
    finish
    exit 1
  fi

  say "overlay network across the nodes"
  check "an attachable overlay: a task on every node reaches the tasks of every node by name" \
    swarm_overlay_check "$SWARM_DEMO_IMAGE"

  if ((REAL)); then
    real_main
    return
  fi

  say "stack $STACK from $STACK_FILE"
  step_started=$SECONDS
  node_docker 1 stack deploy --resolve-image never -c "$STACK_FILE" "$STACK"
  if wait_for "$CONVERGE_TIMEOUT" stack_converged 0; then
    pass "every service of the stack runs all its tasks after $((SECONDS - step_started)) s"
  else
    fail "the stack converges within $CONVERGE_TIMEOUT s" "$(node_docker 1 stack ps --no-trunc "$STACK" 2>&1 | head -n 20)"
  fi
  node_docker 1 stack ps -f desired-state=running --format '{{.Name}} on {{.Node}}' "$STACK"
  for n in "${SWARM_NODES[@]}"; do
    answer=$(curl -s -m 5 "http://$(node_ip "$n"):$PORT$URL_PATH" | head -c 200 || true)
    if [[ -n "$answer" ]]; then
      pass "node$n answers on $(node_ip "$n"):$PORT$URL_PATH: $answer"
    else
      fail "node$n answers on $(node_ip "$n"):$PORT$URL_PATH"
    fi
  done
  for n in "${SWARM_NODES[@]}"; do
    # shellcheck disable=SC2046  # one pid per word
    echo "node$n memory: $(ps -o rss= -p $(node_pids "$n" | paste -sd ',') | awk '{ kb += $1 } END { printf "%d MiB", kb / 1024 }') RSS (containerd, dockerd, shims, containers)"
  done
  # The demo stack says which task answered: through one node, the app tasks of every node answer.
  if [[ "$STACK_FILE" == "$HERE/swarm/demo/stack.yml" ]]; then
    nodes_seen=$(for _ in $(seq 30); do curl -s -m 5 "http://$(node_ip 1):$PORT/" || true; done |
      grep -o 'tp-swarm-[0-9]' | sort -u | paste -sd ' ')
    check "through node1's proxy, app tasks on every node answer over the overlay ($nodes_seen)" \
      test "$(wc -w <<<"$nodes_seen")" -eq 3
  fi

  node_loss power-off 2
  node_loss unplug 3
  nodes_down_and_finish
}

# The real stack: deployed by scripts/swarm/deploy.sh, the smoke test, the primary's node lost.
real_main() {
  local step_started=$SECONDS n
  say "stack $STACK: scripts/swarm/deploy.sh --no-build on node1"
  if real_deploy && wait_for "$CONVERGE_TIMEOUT" stack_converged 0; then
    pass "every service of the stack runs all its tasks, healthy, after $((SECONDS - step_started)) s"
  else
    fail "the stack converges within $CONVERGE_TIMEOUT s" "$(node_docker 1 stack ps --no-trunc -f desired-state=running "$STACK" 2>&1 | grep -v ' Running ' | head -n 20)"
  fi
  node_docker 1 stack ps -f desired-state=running --format '{{.Name}} on {{.Node}}' "$STACK" | sort | paste -sd ' '
  for n in "${SWARM_NODES[@]}"; do
    # a proxy looks tasks.api up again every 5 s (proxy/entrypoint.sh): a task just named may take that long
    check "node$n's proxy answers /api/health" wait_for 30 real_smoke_quiet "$n"
  done
  say "smoke test through node1's proxy"
  real_smoke 1
  real_node_loss
  nodes_down_and_finish
}

nodes_down_and_finish() {
  local answer
  if ((KEEP == 0)); then
    say "nodes down"
    swarm_down
    answer=$(swarm_leftovers)
    check "nothing of the cluster is left on this machine${answer:+ (left: $answer)}" test -z "$answer"
    DOWN_DONE=1
  fi
  if finish; then exit 0; else exit 1; fi
}

main
