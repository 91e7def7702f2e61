#!/usr/bin/env bash
# Brings the whole compose stack up on a machine with no container registry and proves it works:
# stand-in base images (scripts/ci/standins/), the project's real Containerfiles, scripts/setup.sh,
# docker-compose up, every service healthy, scripts/test-complete.sh, persistence across down + up,
# network isolation, non-root + dropped capabilities, two API replicas behind the proxy; prints cold
# start, idle memory and image sizes against the budgets. Always tears the stack down.
# Ends with the line "N passed, N failed". See docs/stack-test.md.
# Functions called through trap and check "$@" look unreachable to shellcheck:
# shellcheck disable=SC2317
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/ci/stack-test.sh [--keep] [--standins-only] [--rebuild-standins] [--help]

  --keep              leave the stack running at the end (prints how to remove it)
  --standins-only     start the engine and build the stand-in images, then stop
  --rebuild-standins  rebuild stand-ins even when images with their tags exist
  --help              this text

Environment: STACK_TIMEOUT (seconds to wait for healthy, default 240), STANDINS_JOBS (parallel
stand-in builds, default 3), ENGINE_LOG (dockerd log, default /var/log/taskplatform-dockerd.log).
Needs root (or a running Docker daemon), Debian's docker.io + docker-compose + debootstrap (installed
when missing), and the npm registry (bun for the stand-ins). Podman is not used here: without systemd
its healthchecks never run and podman-compose ignores depends_on conditions (see docs/stack-test.md).
EOF
}

KEEP=0
STANDINS_ONLY=0
while (($#)); do
  case "$1" in
    --keep) KEEP=1 ;;
    --standins-only) STANDINS_ONLY=1 ;;
    --rebuild-standins) export STANDINS_REBUILD=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Everything below runs inside main(): bash reads a function whole before running it, so editing this
# file while a run is in progress cannot change what that run executes.
main() {
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=scripts/ci/lib-engine.sh
source "$HERE/lib-engine.sh"
# shellcheck source=scripts/ci/lib-standins.sh
source "$HERE/lib-standins.sh"

SCRIPT_STARTED=$SECONDS
STACK_TIMEOUT=${STACK_TIMEOUT:-240}
PASSED=0
FAILED=0
FAILURES=()

say() { printf '\n== %s\n' "$*"; }
pass() {
  PASSED=$((PASSED + 1))
  printf 'ok   %s\n' "$*"
}
fail() {
  FAILED=$((FAILED + 1))
  FAILURES+=("$*")
  printf 'FAIL %s\n' "$*"
}
check() { # check "description" command...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
  printf '\nstack-test: %d s in all\n' "$((SECONDS - SCRIPT_STARTED))"
  if ((${#FAILURES[@]})); then
    printf 'failed:\n'
    printf '  - %s\n' "${FAILURES[@]}"
  fi
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
  ((FAILED == 0))
}

# ---------------------------------------------------------------------------------------------------
say "container engine"
if ! engine_ensure; then
  fail "a Docker engine runs on this machine (install docker.io and run as root; see docs/stack-test.md)"
  finish
  exit 1
fi
pass "docker engine answers ($("$DOCKER" version -f '{{.Server.Version}}' 2>/dev/null), storage $("$DOCKER" info -f '{{.Driver}}' 2>/dev/null))"
COMPOSE_BIN=$(command -v docker-compose || true)
if [[ -z "$COMPOSE_BIN" ]]; then
  fail "docker-compose is installed"
  finish
  exit 1
fi
# The project's scripts call `docker` from PATH: make it Debian's client (the one matching the daemon;
# a newer client elsewhere on PATH needs the buildx plugin to build).
WORK=""
PROJECT=""
cleanup() {
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
trap cleanup EXIT
trap 'exit 130' INT TERM
SHIM=$(mktemp -d /var/tmp/tp-stack-bin.XXXXXX)
ln -s "$DOCKER" "$SHIM/docker"
export PATH="$SHIM:$PATH"
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0

# ---------------------------------------------------------------------------------------------------
if [[ "${STACK_IMAGES:-standins}" == upstream ]]; then
  # Where a registry is reachable (GitHub Actions): the real pinned images, no stand-ins.
  say "upstream images (STACK_IMAGES=upstream: pulled from their registries)"
  STANDINS_BASE=${STACK_PROBE_IMAGE:-docker.io/library/debian:bookworm-slim}
  pull_failed=0
  while read -r ref; do
    [[ -n "$ref" ]] || continue
    "$DOCKER" pull -q "$ref" >/dev/null || {
      fail "docker pull $ref"
      pull_failed=1
    }
  done < <(
    standins_references "$REPO"
    echo "$STANDINS_BASE"
  )
  ((pull_failed)) || pass "every third-party reference in compose.yaml and the Containerfiles pulled"
  SKIPPED_REFS=()
else
  say "stand-in images (CI has no registry: scripts/ci/standins/README.md)"
  if standins_build_all "$REPO"; then
    pass "stand-in images for every third-party reference in compose.yaml and the Containerfiles"
  else
    fail "stand-in images build"
    finish
    exit 1
  fi
  SKIPPED_REFS=("${STANDINS_SKIPPED[@]}")
fi
if ((STANDINS_ONLY)); then
  finish
  exit $?
fi

# ---------------------------------------------------------------------------------------------------
# A private copy of the working tree (tracked + untracked, not ignored files): setup.sh writes .env,
# secrets/ and certificates there, and builds use it as their context, isolated from edits in the tree.
WORK=$(mktemp -d /var/tmp/tp-stack.XXXXXX)
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$WORK")
PROJECT=tpstack$$
export COMPOSE_PROJECT_NAME=$PROJECT TP_ENGINE=docker TP_ENV_FILE="$WORK/.env"
compose() { (cd "$WORK" && "$COMPOSE_BIN" -p "$PROJECT" -f compose.yaml "$@"); }


free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
export HTTP_BIND=127.0.0.1 HTTPS_BIND=127.0.0.1 PROMETHEUS_BIND=127.0.0.1 GRAFANA_BIND=127.0.0.1
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
PROMETHEUS_PORT=$(free_port)
GRAFANA_PORT=$(free_port)
export HTTP_PORT HTTPS_PORT PROMETHEUS_PORT GRAFANA_PORT PUBLIC_HTTPS_PORT=$HTTPS_PORT
BASE_URL="https://127.0.0.1:$HTTPS_PORT"

# ---------------------------------------------------------------------------------------------------
say "scripts/setup.sh (non-interactive: .env, secrets, certificates)"
setup_args=()
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

# ---------------------------------------------------------------------------------------------------
say "project images (real Containerfiles)"
build_image() { # service
  local svc=$1 started=$SECONDS log="$WORK/.build-$1.log"
  if compose build "$svc" >"$log" 2>&1; then
    pass "image for $svc builds ($((SECONDS - started)) s)"
  else
    tail -n 30 "$log"
    fail "image for $svc builds"
  fi
}
for svc in $(cd "$WORK" && python3 -c '
import yaml
c = yaml.safe_load(open("compose.yaml"))
print(" ".join(n for n, s in c["services"].items() if (s or {}).get("build")))'); do
  build_image "$svc"
done

# Services to start: everything except those whose image has no stand-in (Grafana, Loki, Alloy…).
mapfile -t ALL_SERVICES < <(compose config --services 2>/dev/null)
SERVICES=()
LEFT_OUT=()
for svc in "${ALL_SERVICES[@]}"; do
  img=$(cd "$WORK" && python3 -c '
import sys, yaml
s = (yaml.safe_load(open("compose.yaml"))["services"][sys.argv[1]] or {})
print("" if s.get("build") else s.get("image", ""))' "$svc")
  skip=0
  for ref in "${SKIPPED_REFS[@]}"; do [[ "$img" == "$ref" ]] && skip=1; done
  if ((skip)); then LEFT_OUT+=("$svc"); else SERVICES+=("$svc"); fi
done
if ((${#LEFT_OUT[@]})); then
  echo "LEFT OUT (no Debian package, so no stand-in image; not started here): ${LEFT_OUT[*]}"
fi
echo "services started: ${SERVICES[*]}"
if ((${#SERVICES[@]} == 0)); then
  fail "compose config lists services"
  exit 1
fi

declare -gA FIRST_HEALTHY=() # container id → when wait_healthy first saw it healthy (epoch seconds)
# Waits until every container of the project is healthy (or running, without a healthcheck).
# Prints the seconds it took; on timeout prints each unhealthy container's state and last log lines.
wait_healthy() {
  local timeout=$1 started=$SECONDS id name state bad
  while :; do
    bad=()
    while read -r id; do
      [[ -n "$id" ]] || continue
      state=$("$DOCKER" inspect -f '{{.State.Status}}{{if .State.Health}}/{{.State.Health.Status}}{{end}}' "$id")
      case "$state" in
        running/healthy | running) [[ -n "${FIRST_HEALTHY[$id]:-}" ]] || FIRST_HEALTHY[$id]=$(date +%s.%N) ;;
        *) bad+=("$id:$state") ;;
      esac
    done < <("$DOCKER" ps -aq --no-trunc --filter "label=com.docker.compose.project=$PROJECT")
    if ((${#bad[@]} == 0)); then
      return 0
    fi
    if ((SECONDS - started >= timeout)); then
      echo "not healthy after ${timeout} s:"
      local entry
      for entry in "${bad[@]}"; do
        id=${entry%%:*}
        name=$("$DOCKER" inspect -f '{{.Name}}' "$id")
        echo "  ${name#/}: ${entry#*:}"
        "$DOCKER" inspect -f '{{if .State.Health}}{{range .State.Health.Log}}    probe: {{.Output}}{{end}}{{end}}' "$id" | tail -n 3
        "$DOCKER" logs --tail 8 "$id" 2>&1 | sed 's/^/    log: /'
      done
      return 1
    fi
    sleep 1
  done
}

# Per service: seconds from `up` to the container's start (where the cold start goes: depends_on
# waits for "healthy", which only a probe sets, once per healthcheck interval). docker-compose 1.29's
# `up -d` itself returns only once those conditions are met.
timeline() {
  local t0=$1 id
  while read -r id; do
    [[ -n "$id" ]] || continue
    printf '%s %s %s\n' "$("$DOCKER" inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.State.StartedAt}}' "$id")" \
      "${FIRST_HEALTHY[$id]:--}" ""
  done < <("$DOCKER" ps -q --no-trunc --filter "label=com.docker.compose.project=$PROJECT") | python3 -c '
import sys
from datetime import datetime
t0 = float(sys.argv[1])
def ts(v):
    v = v.replace("Z", "+00:00")
    head, _, rest = v.partition(".")
    frac, tz = (rest[:rest.index("+")], rest[rest.index("+"):]) if "+" in rest else (rest, "")
    return datetime.fromisoformat(head + "." + (frac + "000000")[:6] + tz).timestamp()
rows = []
for line in sys.stdin:
    parts = line.split()
    healthy = None if parts[2] == "-" else float(parts[2]) - t0
    rows.append((ts(parts[1]) - t0, parts[0], healthy))
print("  %-20s %8s" % ("service", "started"))
for start, name, healthy in sorted(rows):
    print("  %-20s %7.0fs" % (name, start))
' "$t0" || true
}

api() { # METHOD PATH [JSON] [TOKEN] → body in $WORK/.resp, HTTP status in $WORK/.status
  local method=$1 path=$2 body=${3:-} token=${4:-}
  local args=(-sk -o "$WORK/.resp" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' --max-time 15)
  [[ -n "$body" ]] && args+=(--data "$body")
  [[ -n "$token" ]] && args+=(-H "Authorization: Bearer $token")
  : >"$WORK/.resp"
  curl "${args[@]}" "$BASE_URL$path" >"$WORK/.status" 2>/dev/null || echo 000 >"$WORK/.status"
}
status() { cat "$WORK/.status"; }
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1" 2>/dev/null; }

# ---------------------------------------------------------------------------------------------------
say "cold start: docker-compose up -d (fresh volumes)"
UP_STARTED=$SECONDS
UP_EPOCH=$(date +%s.%N)
if compose up -d "${SERVICES[@]}" >"$WORK/.up.log" 2>&1; then
  pass "docker-compose up -d"
else
  tail -n 30 "$WORK/.up.log"
  fail "docker-compose up -d"
fi
if wait_healthy "$STACK_TIMEOUT"; then
  COLD_START=$((SECONDS - UP_STARTED))
  pass "every service healthy ($COLD_START s after up)"
  timeline "$UP_EPOCH"
else
  COLD_START=""
  fail "every service healthy within $STACK_TIMEOUT s"
fi
compose ps

# ---------------------------------------------------------------------------------------------------
say "scripts/test-complete.sh against the stack"
tc_args=()
if ((${#LEFT_OUT[@]})) && grep -q -- '--skip' "$WORK/scripts/test-complete.sh" 2>/dev/null; then
  for svc in "${LEFT_OUT[@]}"; do tc_args+=(--skip "$svc"); done
fi
if [[ -f "$WORK/scripts/test-complete.sh" ]]; then
  if (cd "$WORK" && TP_SKIP_SERVICES="${LEFT_OUT[*]}" bash scripts/test-complete.sh "${tc_args[@]}" </dev/null 2>&1 |
    tee "$WORK/.test-complete.log"; exit "${PIPESTATUS[0]}"); then
    pass "test-complete.sh ${tc_args[*]} passes"
  else
    fail "test-complete.sh ${tc_args[*]} passes"
  fi
else
  fail "scripts/test-complete.sh exists"
fi

# ---------------------------------------------------------------------------------------------------
say "data survives down + up (named volumes)"
EMAIL="stack-$$-$RANDOM@example.test"
PASSWORD="Stack-test-pass-$RANDOM-$RANDOM!"
TITLE="survives down+up $$"
api POST /api/auth/register "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"name\":\"Stack Test\"}"
TOKEN=$(json "['accessToken']" <"$WORK/.resp" || true)
check "register through the proxy (HTTP $(status))" test -n "$TOKEN"
api POST /api/projects '{"name":"Stack test"}' "$TOKEN"
PROJECT_ID=$(json "['id']" <"$WORK/.resp" || true)
api POST /api/tasks "{\"projectId\":\"$PROJECT_ID\",\"title\":\"$TITLE\"}" "$TOKEN"
check "create a project and a task (HTTP $(status))" test "$(status)" = 201
# shellcheck disable=SC2016  # expanded inside the container
redis_cli() { compose exec -T redis sh -c 'REDISCLI_AUTH="$(cat /run/secrets/redis_password)" redis-cli "$@"' sh "$@"; }
redis_cli SET taskplatform:stack-test:persist "$$" >/dev/null 2>&1 || true
if compose down -t 20 >"$WORK/.down.log" 2>&1; then pass "docker-compose down (volumes kept)"; else fail "docker-compose down"; fi
check "no container left after down" test -z "$("$DOCKER" ps -aq --filter "label=com.docker.compose.project=$PROJECT")"
WARM_STARTED=$SECONDS
compose up -d "${SERVICES[@]}" >"$WORK/.up2.log" 2>&1 || { tail -n 20 "$WORK/.up2.log"; }
if wait_healthy "$STACK_TIMEOUT"; then
  WARM_START=$((SECONDS - WARM_STARTED))
  pass "healthy again after up ($WARM_START s)"
else
  WARM_START=""
  fail "healthy again after up"
fi
api POST /api/auth/login "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
TOKEN=$(json "['accessToken']" <"$WORK/.resp" || true)
check "the user still logs in after down + up (HTTP $(status))" test -n "$TOKEN"
api GET "/api/tasks?projectId=$PROJECT_ID" "" "$TOKEN"
check "the task is still there after down + up" grep -qF "$TITLE" "$WORK/.resp"
check "the Redis key is still there after down + up (AOF volume)" \
  test "$(redis_cli GET taskplatform:stack-test:persist 2>/dev/null | tr -d '\r')" = "$$"

# ---------------------------------------------------------------------------------------------------
say "network isolation"
cid() { "$DOCKER" ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" | head -n 1; }
ip_on() { # container network-suffix
  "$DOCKER" inspect -f "{{with index .NetworkSettings.Networks \"${PROJECT}_$2\"}}{{.IPAddress}}{{end}}" "$1"
}
PROXY=$(cid proxy)
PG=$(cid postgres)
RD=$(cid redis)
PG_IP=$(ip_on "$PG" backend)
RD_IP=$(ip_on "$RD" backend)
echo "postgres $PG_IP, redis $RD_IP (network ${PROJECT}_backend)"
# A throwaway probe from the base image, joined to a network, tries TCP with bash's /dev/tcp.
probe() { # network host port → exit 0 if connected
  "$DOCKER" run --rm --network "$1" "$STANDINS_BASE" \
    timeout 4 bash -c "exec 3<>/dev/tcp/$2/$3" >/dev/null 2>&1
}
check "control: a container on the backend network reaches postgres:5432" probe "${PROJECT}_backend" postgres 5432
check "control: a container on the backend network reaches redis:6379" probe "${PROJECT}_backend" redis 6379
in_proxy_connects() { # host port → exit 0 if the proxy container opened a TCP connection
  # busybox wget (alpine's, the stand-in's): an HTTP-level error after connecting still means "reached";
  # a dropped connection attempt runs into busybox `timeout` (wget -T crashes Debian's busybox 1.35).
  local out status=0
  out=$("$DOCKER" exec "$PROXY" timeout 5 wget -q -O /dev/null "http://$1:$2/" 2>&1) || status=$?
  ((status == 0)) && return 0
  ((status == 124 || status == 143)) && return 1
  ! grep -qiE "bad address|can't connect|timed out|unreachable|refused|no route|not known" <<<"$out"
}
proxy_cannot_reach() { ! in_proxy_connects "$@"; }
frontend_cannot_reach() { ! probe "${PROJECT}_frontend" "$@"; }
check "control: the proxy reaches api:4000 (frontend network)" in_proxy_connects api 4000
check "the proxy (which also serves the SPA) cannot reach postgres:5432 by name" proxy_cannot_reach postgres 5432
check "the proxy cannot reach redis:6379 by name" proxy_cannot_reach redis 6379
check "the proxy cannot reach PostgreSQL by address ($PG_IP:5432)" proxy_cannot_reach "$PG_IP" 5432
check "the proxy cannot reach Redis by address ($RD_IP:6379)" proxy_cannot_reach "$RD_IP" 6379
check "a container on the frontend network cannot reach PostgreSQL ($PG_IP:5432)" frontend_cannot_reach "$PG_IP" 5432
check "the backend network is internal (no route out)" \
  test "$("$DOCKER" network inspect -f '{{.Internal}}' "${PROJECT}_backend")" = true
check "only the proxy publishes ports" bash -c "
  for id in \$(\"$DOCKER\" ps -q --filter label=com.docker.compose.project=$PROJECT); do
    svc=\$(\"$DOCKER\" inspect -f '{{index .Config.Labels \"com.docker.compose.service\"}}' \$id)
    ports=\$(\"$DOCKER\" inspect -f '{{range \$p, \$b := .NetworkSettings.Ports}}{{if \$b}}{{range \$b}}{{.HostIp}}:{{.HostPort}} {{end}}{{end}}{{end}}' \$id)
    case \$svc in proxy|prometheus|grafana) ;; *) [ -z \"\$ports\" ] || { echo \"\$svc publishes \$ports\"; exit 1; } ;; esac
  done"

# ---------------------------------------------------------------------------------------------------
say "non-root and dropped capabilities (docker inspect + the kernel's view)"
while read -r id; do
  [[ -n "$id" ]] || continue
  name=$("$DOCKER" inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$id")
  user=$("$DOCKER" inspect -f '{{.Config.User}}' "$id")
  capdrop=$("$DOCKER" inspect -f '{{.HostConfig.CapDrop}}' "$id")
  capadd=$("$DOCKER" inspect -f '{{.HostConfig.CapAdd}}' "$id")
  nnp=$("$DOCKER" inspect -f '{{.HostConfig.SecurityOpt}}' "$id")
  ro=$("$DOCKER" inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$id")
  # shellcheck disable=SC2016  # a Go template
  rootok=$("$DOCKER" inspect -f '{{range $k, $v := .Config.Labels}}{{if eq $k "org.taskplatform.policy.root" "org.taskplatform.policy.user"}}{{$v}}{{end}}{{end}}' "$id")
  pid=$("$DOCKER" inspect -f '{{.State.Pid}}' "$id")
  uid=$(awk '/^Uid:/ {print $3}' "/proc/$pid/status" 2>/dev/null || echo "?")
  capeff=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo "?")
  echo "  $name: user='$user' uid=$uid CapEff=$capeff cap_drop=$capdrop cap_add=$capadd read_only=$ro $nnp"
  if [[ -n "$rootok" ]]; then
    pass "$name runs as root by documented policy ($rootok)"
  else
    check "$name runs as a non-root user (uid $uid)" test "$uid" != 0 -a "$uid" != "?"
  fi
  check "$name drops ALL capabilities (cap_add: ${capadd})" grep -q ALL <<<"$capdrop"
  check "$name has no-new-privileges" grep -q 'no-new-privileges' <<<"$nnp"
done < <("$DOCKER" ps -q --filter "label=com.docker.compose.project=$PROJECT")

# ---------------------------------------------------------------------------------------------------
say "two API replicas behind the proxy (--scale api=2)"
compose up -d --no-recreate --scale api=2 "${SERVICES[@]}" >"$WORK/.scale.log" 2>&1 || tail -n 20 "$WORK/.scale.log"
wait_healthy "$STACK_TIMEOUT" || true
mapfile -t APIS < <("$DOCKER" ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=api")
check "two api containers run and are healthy" test "${#APIS[@]}" -eq 2
# nginx older than 1.27.3 resolves the upstream name at (re)load only: reload it, as scripts/deploy.sh
# does after scaling (the real 1.28 image re-resolves by itself).
"$DOCKER" kill -s HUP "$(cid proxy)" >/dev/null 2>&1 || true
sleep 2
TAG="stacktest$$"
for i in $(seq 1 30); do
  curl -sk -o /dev/null --max-time 5 "$BASE_URL/api/$TAG-$i" || true
done
served=0
for id in "${APIS[@]}"; do
  n=$("$DOCKER" logs "$id" 2>&1 | grep -c "$TAG" || true)
  echo "  api ${id:0:12}: $n of 30 requests"
  ((n > 0)) && served=$((served + 1))
done
check "the proxy sends requests to both API replicas" test "$served" -eq 2

# ---------------------------------------------------------------------------------------------------
say "measurements (limits from the seed)"
sleep 5
mapfile -t RUNNING < <("$DOCKER" ps -q --filter "label=com.docker.compose.project=$PROJECT")
mem_mb=$("$DOCKER" stats --no-stream --format '{{.MemUsage}}' "${RUNNING[@]}" |
  awk '{ v=$1; u=v; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+/, "", v);
         m = (u=="GiB") ? v*1024 : (u=="MiB") ? v : (u=="KiB") ? v/1024 : (u=="B") ? v/1048576 : v;
         s += m } END { printf "%.0f", s }')
size_mb() { "$DOCKER" image inspect -f '{{.Size}}' "$1" 2>/dev/null | awk '{printf "%.1f", $1/1000000}'; }
API_IMAGE=$(compose config 2>/dev/null | python3 -c 'import sys,yaml; print(yaml.safe_load(sys.stdin)["services"]["api"]["image"])')
PROXY_IMAGE=$(compose config 2>/dev/null | python3 -c 'import sys,yaml; print(yaml.safe_load(sys.stdin)["services"]["proxy"]["image"])')
api_mb=$(size_mb "$API_IMAGE")
proxy_mb=$(size_mb "$PROXY_IMAGE")
printf '  %-58s %9s   %s\n' "measure" "value" "limit"
printf '  %-58s %9s   %s\n' "cold start to all healthy" "${COLD_START:-n/a} s" "< 120 s"
printf '  %-58s %9s   %s\n' "start after down + up" "${WARM_START:-n/a} s" ""
printf '  %-58s %9s   %s\n' "idle memory, whole stack (api x2)" "$mem_mb MB" "< 4096 MB"
printf '  %-58s %9s   %s\n' "image $API_IMAGE" "$api_mb MB" "< 150 MB"
printf '  %-58s %9s   %s\n' "image $PROXY_IMAGE (proxy + SPA)" "$proxy_mb MB" "< 50 MB"
for img in $(compose config 2>/dev/null | python3 -c '
import sys, yaml
left_out = set(sys.argv[1:])
for n, s in yaml.safe_load(sys.stdin)["services"].items():
    if not s.get("build") and n not in left_out: print(s["image"])' "${LEFT_OUT[@]}" | sort -u); do
  printf '  %-58s %9s   %s\n' "image $img" "$(size_mb "$img") MB" "(${STACK_IMAGES:-standins})"
done
check "cold start under 2 minutes (${COLD_START:-n/a} s)" test -n "$COLD_START" -a "${COLD_START:-999}" -lt 120
check "idle memory under 4 GB ($mem_mb MB)" test "${mem_mb:-99999}" -lt 4096
check "api image under 150 MB ($api_mb MB)" awk -v v="$api_mb" 'BEGIN { exit !(v > 0 && v < 150) }'
check "proxy (web) image under 50 MB ($proxy_mb MB)" awk -v v="$proxy_mb" 'BEGIN { exit !(v > 0 && v < 50) }'
if ((${#LEFT_OUT[@]})); then
  echo "note: not started here (no stand-in image): ${LEFT_OUT[*]}"
fi

# exit here, not after main returns: bash would go on reading this file, which may have changed
if finish; then exit 0; else exit 1; fi
}

main "$@"
