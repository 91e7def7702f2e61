#!/usr/bin/env bash
# The README's Podman quick start, run literally with Debian's Podman and podman-compose (issue 24):
# cp .env.example .env, ./scripts/setup.sh, podman-compose up -d, podman-compose ps, podman healthcheck run
# for every container, podman logs, podman exec -it … psql, podman exec -it … redis-cli ping, data across
# podman-compose restart, backup.sh + restore.sh, test-complete.sh, podman-compose down. Configures Podman
# as this machine needs (docs/stack-test.md#podman), loads the images CI already built with Docker (the
# stand-ins and the project's images) instead of building them again. Always cleans up.
# Ends with a summary line and "N passed, N failed".
# Functions called through trap and check "$@" look unreachable to shellcheck:
# shellcheck disable=SC2317
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/ci/podman-quickstart.sh [--keep] [--help]

  --keep   leave the stack running at the end, without podman-compose down (prints where it is);
           the drop-in and FORWARD rules stay too
  --help   this text

Environment: PODMAN_TIMEOUT (seconds to wait for healthy, default 240).
Needs root, or sudo without a password (then it runs itself through sudo): installs Debian's podman,
podman-compose, netavark, aardvark-dns, slirp4netns, uidmap and catatonit when missing, writes
/etc/containers/containers.conf.d/50-taskplatform.conf and, under a running dockerd's FORWARD DROP,
accept rules for podman+ (both undone at the end). Images: taken from Docker when a daemon answers and
has them (scripts/ci/stack-test.sh builds them), otherwise built with Podman (slow: stand-ins and the
project's images).
EOF
}

# Not root (GitHub's runner user): again through sudo when it needs no password, with this PATH (sudo's
# secure_path would drop the user's bun).
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  exec sudo -n -E env "PATH=$PATH" bash "${BASH_SOURCE[0]}" "$@"
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/report.sh
source "$HERE/../lib/report.sh"
report_flags --keep=KEEP -- "$@"

# Everything runs inside main(): bash reads a function whole, so editing this file mid-run is harmless.
main() {
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=scripts/ci/lib-engine.sh
source "$HERE/lib-engine.sh"
# shellcheck source=scripts/ci/lib-standins.sh
source "$HERE/lib-standins.sh"
# shellcheck source=scripts/lib/wait-healthy.sh
source "$HERE/../lib/wait-healthy.sh"

STARTED=$SECONDS
TIMEOUT=${PODMAN_TIMEOUT:-240}
SUMMARY=()
# run "shown command line" command...: prints the command as a user types it, then its output.
run() {
  printf '$ %s\n' "$1" >&2
  shift
  "$@"
}
finish() {
  local joined
  joined=$(printf '%s, ' "${SUMMARY[@]}")
  printf '\npodman quick start: %s\n' "${joined%, }"
  printf 'podman-quickstart: %d s in all\n' "$((SECONDS - STARTED))"
  report_summary "failed:"
}

if [[ $(id -u) -ne 0 ]]; then
  fail "runs as root (installs and configures Podman)"
  finish
  exit 1
fi

# Before anything is changed (cleanup removes the project 'taskplatform', so it must be this run's).
if command -v podman >/dev/null 2>&1 && [[ -n "$(podman ps -aq --filter label=com.docker.compose.project=taskplatform 2>/dev/null)" ]]; then
  fail "no other Podman project 'taskplatform' on this machine (podman ps -a --filter label=com.docker.compose.project=taskplatform)"
  finish
  exit 1
fi

# What this run changed on the machine, undone by cleanup (also on failure or Ctrl-C): the stack (its
# containers, volumes and networks), the copy of the tree, the FORWARD rules it inserted, and the
# containers.conf.d drop-in when it wrote one (put back as it was). Images stay in Podman's store, as
# the stand-ins stay in Docker's: the next run copies only those that changed.
CONF=/etc/containers/containers.conf.d/50-taskplatform.conf
CONF_SAVED="" CONF_WRITTEN=0 PARENT="" WORK=""
ADDED_RULES=()
exec 3>&1 4>&2 # the suite's own output, for cleanup (a trap runs inside whatever redirection was active)
cleanup() {
  local status=$? rule
  trap - EXIT INT TERM
  exec 1>&3 2>&4
  if ((KEEP)) && [[ -n "$WORK" ]]; then
    printf '\nleft as it is (--keep): the stack (cd %s && podman-compose down -v), %s, the FORWARD rules\n' "$WORK" "$CONF"
    exit "$status"
  fi
  echo
  echo "cleanup: the stack's containers, volumes and networks${PARENT:+, $PARENT}"
  # -v: the anonymous volumes of the images' VOLUMEs too (podman-compose 1.0.3's down leaves them)
  podman ps -aq --filter label=com.docker.compose.project=taskplatform | xargs -r podman rm -f -v -t 0 >/dev/null 2>&1 || true
  podman volume ls -q --filter label=com.docker.compose.project=taskplatform | xargs -r podman volume rm -f >/dev/null 2>&1 || true
  podman network ls -q --filter label=com.docker.compose.project=taskplatform | xargs -r podman network rm -f >/dev/null 2>&1 || true
  [[ -n "$PARENT" ]] && rm -rf "$PARENT"
  for rule in "${ADDED_RULES[@]}"; do
    # shellcheck disable=SC2086  # a rule is words
    iptables -D FORWARD $rule 2>/dev/null && echo "cleanup: removed FORWARD $rule"
  done
  # last: the podman commands above still read the drop-in
  if ((CONF_WRITTEN)); then
    if [[ -n "$CONF_SAVED" ]]; then
      printf '%s\n' "$CONF_SAVED" >"$CONF"
      echo "cleanup: put the previous $CONF back"
    else
      rm -f "$CONF"
      echo "cleanup: removed $CONF"
    fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------
say "Podman (Debian's packages, configured for this machine)"
missing=()
for pkg in podman podman-compose netavark aardvark-dns slirp4netns uidmap catatonit iptables; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
PODMAN_VERSION=$(podman version -f '{{.Client.Version}}' 2>/dev/null || true)
COMPOSE_VERSION=$(podman-compose version 2>&1 | sed -n 's/^podman-compose[r]* version *//p' | head -n 1)
check "podman $PODMAN_VERSION and podman-compose $COMPOSE_VERSION installed" command -v podman-compose

# The machine's limits and lack of systemd (README: Podman troubleshooting). Without a drop-in, Podman
# asks runc for nofile=1048576 and an nproc above this machine's hard limits and every container fails
# with "error setting rlimit type 7/6".
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
pid_max=$(cat /proc/sys/kernel/pid_max)
[[ "$nofile" == unlimited ]] && nofile=1048576
[[ "$nproc" == unlimited || "$nproc" -gt "$pid_max" ]] && nproc=$pid_max
runtime=crun
command -v crun >/dev/null 2>&1 || runtime=runc
cgroup=systemd
[[ -d /run/systemd/system ]] || cgroup=cgroupfs
WANTED_CONF="# written by scripts/ci/podman-quickstart.sh (README: Podman troubleshooting)
[containers]
default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]
[engine]
runtime = \"$runtime\"
cgroup_manager = \"$cgroup\"
events_logger = \"file\""
if [[ -f "$CONF" && "$(cat "$CONF")" == "$WANTED_CONF" ]]; then
  echo "$CONF already as needed: kept"
else
  [[ -f "$CONF" ]] && CONF_SAVED=$(cat "$CONF")
  mkdir -p "$(dirname "$CONF")"
  CONF_WRITTEN=1
  printf '%s\n' "$WANTED_CONF" >"$CONF"
  echo "wrote $CONF (removed again at the end): nofile $nofile, nproc $nproc, runtime $runtime, cgroups $cgroup"
fi
check "podman info (runtime $(podman info -f '{{.Host.OCIRuntime.Name}}' 2>/dev/null), network $(podman info -f '{{.Host.NetworkBackend}}' 2>/dev/null))" \
  podman info -f '{{.Host.OCIRuntime.Name}}'
# A running dockerd sets the FORWARD policy to DROP, which also drops the traffic of Podman's bridges.
# (CI's dockerd, started by the container stack suite before this one, keeps running for the whole run.)
if iptables -S FORWARD 2>/dev/null | grep -q '^-P FORWARD DROP'; then
  for rule in "-i podman+ -j ACCEPT" "-o podman+ -j ACCEPT"; do
    # shellcheck disable=SC2086  # a rule is words
    if ! iptables -C FORWARD $rule 2>/dev/null; then
      iptables -I FORWARD $rule && ADDED_RULES+=("$rule")
    fi
  done
  echo "FORWARD policy is DROP (dockerd running: $(pgrep -c -x dockerd || true)): accept rules for the podman+ bridges (${#ADDED_RULES[@]} added, removed at the end)"
fi

# ---------------------------------------------------------------------------------------------------
say "images (from Docker when it has them: CI's container stack suite built them)"
mapfile -t REFS < <(standins_references "$REPO")
PROJECT_IMAGES=(localhost/taskplatform-api:latest localhost/taskplatform-proxy:latest localhost/taskplatform-db:latest)
want=() left_out_refs=()
for ref in "${REFS[@]}"; do
  [[ -n "$ref" ]] || continue
  folder=$(standins_folder_for "$ref")
  if [[ "$folder" == SKIP:* ]]; then
    left_out_refs+=("$ref")
    continue
  fi
  want+=("$ref")
done
want+=("${PROJECT_IMAGES[@]}")
# Docker's image ID and Podman's are both the config digest: copy what Podman lacks or has in another
# version (the container stack suite rebuilds the project's images on every run).
DOCKER=$(engine_client)
DOCKER_UP=0
[[ -n "$DOCKER" ]] && engine_answers && DOCKER_UP=1
need=() have=() replaced=()
for ref in "${want[@]}"; do
  pid=$(podman image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
  did=""
  ((DOCKER_UP)) && did=$("$DOCKER" image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
  if [[ -n "$did" && "${did#sha256:}" != "$pid" ]]; then
    need+=("$ref") have+=("$ref")
    [[ -n "$pid" ]] && replaced+=("$pid")
  elif [[ -z "$pid" ]]; then
    need+=("$ref")
  fi
done
BUILT_HERE=0
if ((${#need[@]})); then
  if ((${#have[@]})); then
    t=$SECONDS
    # docker save drops the docker.io/ prefix: tag every image again with its exact reference
    if "$DOCKER" save "${have[@]}" | podman load -q >/dev/null; then
      for ref in "${have[@]}"; do podman tag "$("$DOCKER" image inspect -f '{{.Id}}' "$ref")" "$ref"; done
      pass "${#have[@]} images copied from Docker to Podman ($((SECONDS - t)) s)"
      # the versions they replaced, now untagged (a loaded image is tagged twice: localhost/… and its reference)
      for id in "${replaced[@]}"; do
        if [[ "$(podman image inspect -f '{{len .RepoTags}}' "$id" 2>/dev/null)" == 0 ]]; then
          podman rmi "$id" >/dev/null 2>&1 || true
        fi
      done
    else
      fail "docker save | podman load"
    fi
  fi
  still=()
  for ref in "${need[@]}"; do podman image exists "$ref" || still+=("$ref"); done
  if ((${#still[@]})); then
    echo "not in Docker: ${still[*]}; building the stand-ins with Podman"
    DOCKER=podman
    if standins_build_all "$REPO"; then pass "stand-ins built with Podman"; else fail "stand-ins built with Podman"; fi
    BUILT_HERE=1
  fi
else
  pass "every image already in Podman, as in Docker"
fi

# ---------------------------------------------------------------------------------------------------
# A copy of the tree in a directory named taskplatform, as `git clone … taskplatform` makes: podman-compose
# 1.0.3 names the project after the directory (and ignores COMPOSE_PROJECT_NAME).
PARENT=$(mktemp -d /var/tmp/tp-podman.XXXXXX)
WORK="$PARENT/taskplatform"
mkdir "$WORK"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$WORK")
cd "$WORK"

free_port() { bun "$HERE/ci-tool.ts" free-port; }

# ---------------------------------------------------------------------------------------------------
say "the quick start"
run "cp .env.example .env" cp .env.example .env
# The one edit of .env (README: "review the ports"): free loopback ports, since other suites share this
# machine (podman-compose 1.0.3 lets .env override the environment, so .env it is).
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
PROMETHEUS_PORT=$(free_port)
sed -i -e "s/^HTTP_BIND=.*/HTTP_BIND=127.0.0.1/" -e "s/^HTTPS_BIND=.*/HTTPS_BIND=127.0.0.1/" \
  -e "s/^HTTP_PORT=.*/HTTP_PORT=$HTTP_PORT/" -e "s/^HTTPS_PORT=.*/HTTPS_PORT=$HTTPS_PORT/" \
  -e "s/^PROMETHEUS_PORT=.*/PROMETHEUS_PORT=$PROMETHEUS_PORT/" -e "s/^GRAFANA_PORT=.*/GRAFANA_PORT=$(free_port)/" .env
echo "(.env: ports $HTTP_PORT/$HTTPS_PORT on 127.0.0.1, Prometheus $PROMETHEUS_PORT)"
setup_args=()
# setup.sh builds both images with podman build; when they came from Docker they are the same build
((BUILT_HERE)) || setup_args+=(--no-build)
if run "./scripts/setup.sh ${setup_args[*]}" ./scripts/setup.sh "${setup_args[@]}" </dev/null >.setup.log 2>&1; then
  pass "./scripts/setup.sh ${setup_args[*]}"
else
  tail -n 20 .setup.log
  fail "./scripts/setup.sh ${setup_args[*]}"
fi

# podman-compose 1.0.3 ignores profiles: it would start all 15 services. Grafana, Loki, Alloy and cAdvisor
# have no stand-in here (no registry): name the others, as the README says for leaving services out.
SERVICES=() LEFT_OUT=()
while read -r svc img build; do
  skip=0
  for ref in "${left_out_refs[@]}"; do [[ "$build" != build && "$img" == "$ref" ]] && skip=1; done
  if ((skip)); then LEFT_OUT+=("$svc"); else SERVICES+=("$svc"); fi
done < <(bun "$HERE/ci-tool.ts" services compose.yaml)
echo "left out (no stand-in image): ${LEFT_OUT[*]:-none}"
UP_STARTED=$SECONDS
if run "podman-compose up -d ${SERVICES[*]}" podman-compose up -d "${SERVICES[@]}" >.up.log 2>&1; then
  pass "podman-compose up -d (${#SERVICES[@]} services)"
else
  tail -n 20 .up.log
  fail "podman-compose up -d"
fi
run "podman-compose ps" podman-compose ps 2>/dev/null | grep -v '^podman ps' | cut -c1-160

# `podman healthcheck run` for every container until all pass. podman-compose 1.0.3 runs each healthcheck
# through /bin/sh -c: containers without a shell (api, nginx-exporter) fail it whatever their state, and are
# checked with the command in their org.taskplatform.health-exec label instead (README).
HC_OK=() EXEC_OK=() NOT_OK=()
declare -A EXEC_LINE=() # the podman exec lines that passed, as typed (the README must show them)
# True when every container passes.
health_round() {
  local c label
  HC_OK=() EXEC_OK=() NOT_OK=()
  mapfile -t CONTAINERS < <(podman ps -a --filter label=com.docker.compose.project=taskplatform --format '{{.Names}}' | sort)
  for c in "${CONTAINERS[@]}"; do
    if podman healthcheck run "$c" </dev/null >/dev/null 2>&1; then
      HC_OK+=("$c")
      continue
    fi
    label=$(podman inspect -f '{{index .Config.Labels "org.taskplatform.health-exec"}}' "$c" 2>/dev/null || true)
    # shellcheck disable=SC2086  # the label is a command line
    if [[ -n "$label" && "$label" != "<no value>" ]] && ! podman exec "$c" sh -c true </dev/null >/dev/null 2>&1 &&
      podman exec "$c" $label </dev/null >/dev/null 2>&1; then
      EXEC_OK+=("$c")
      EXEC_LINE["podman exec $c $label"]=1
    else
      NOT_OK+=("$c")
    fi
  done
  ((${#CONTAINERS[@]} > 0 && ${#NOT_OK[@]} == 0))
}
wait_healthy() { wait_until "$1" 2 health_round; } # seconds → 0 when every container passes
if wait_healthy "$TIMEOUT"; then
  COLD=$((SECONDS - UP_STARTED))
  pass "${#CONTAINERS[@]}/${#SERVICES[@]} containers healthy $COLD s after up: ${#HC_OK[@]} by podman healthcheck run, ${#EXEC_OK[@]} by podman exec of their health-exec label (${EXEC_OK[*]:-none}: no /bin/sh)"
  SUMMARY+=("${#CONTAINERS[@]}/${#SERVICES[@]} healthy in $COLD s (${#HC_OK[@]} by healthcheck run, ${#EXEC_OK[@]} by exec)")
else
  fail "every container healthy within $TIMEOUT s; not: ${NOT_OK[*]}"
  for c in "${NOT_OK[@]}"; do
    echo "  $c: $(podman inspect -f '{{.State.Status}} restarts={{.RestartCount}}' "$c" 2>/dev/null)"
    podman healthcheck run "$c" </dev/null 2>&1 | tail -n 2 | sed 's/^/    healthcheck: /'
    podman logs --tail 5 "$c" 2>&1 | sed 's/^/    log: /'
  done
  SUMMARY+=("NOT healthy: ${NOT_OK[*]}")
fi
for c in "${CONTAINERS[@]}"; do
  printf '$ podman healthcheck run %s\n' "$c"
  podman healthcheck run "$c" </dev/null 2>&1 | tail -n 1 | sed 's/^/  /' || true
done
for c in taskplatform-db taskplatform-redis taskplatform_api_1; do
  check "a container named $c" podman container exists "$c"
done

# The validation commands (-it as typed: script(1) gives them the terminal they ask for).
# (a terminal of 50 rows: psql's pager waits for a key on a 0-row one)
tty_run() { script -qec "stty rows 50 cols 200; $1" /dev/null </dev/null | tr -d '\r\0'; }
out=$(run "podman logs taskplatform_api_1" podman logs taskplatform_api_1 2>&1 | tail -n 3)
printf '%s\n' "$out" | cut -c1-200
check "podman logs taskplatform_api_1 shows the API listening" grep -qiE 'listen|ready|started' <<<"$out$(podman logs taskplatform_api_1 2>&1)"
PSQL_LINE="podman exec -it taskplatform-db psql -U taskplatform -d taskplatform -c 'select count(*) from schema_migrations'"
PING_LINE="podman exec -it taskplatform-redis redis-cli ping"
# shellcheck disable=SC2016  # expanded inside the container, so the password is in no argv and no log
PING_AUTH_LINE='podman exec -it taskplatform-redis sh -c '\''REDISCLI_AUTH="$(cat /run/secrets/redis_password)" redis-cli ping'\'
out=$(printf '$ %s\n' "$PSQL_LINE" >&2; tty_run "$PSQL_LINE")
printf '%s\n' "$out"
check "podman exec -it taskplatform-db psql … (migrations applied)" grep -qE '^ +[1-9][0-9]*$' <<<"$out"
out=$(printf '$ %s\n' "$PING_LINE" >&2; tty_run "$PING_LINE")
printf '%s\n' "$out"
check "redis-cli ping without the password is refused (requirepass)" grep -q NOAUTH <<<"$out"
out=$(printf '$ %s\n' "$PING_AUTH_LINE" >&2; tty_run "$PING_AUTH_LINE")
printf '%s\n' "$out"
check "redis-cli ping with the secret answers PONG" grep -q PONG <<<"$out"

# ---------------------------------------------------------------------------------------------------
say "data across podman-compose restart"
BASE="https://localhost:$HTTPS_PORT"
CURL=(curl -sS --max-time 10 --cacert secrets/tls/ca.crt --resolve "localhost:$HTTPS_PORT:127.0.0.1")
EMAIL="podman-$$-$RANDOM@example.test"
PASSWORD="Podman-quickstart-$RANDOM-$RANDOM!"
TITLE="survives restart $$"
api() { # METHOD PATH [JSON] [TOKEN] → body in .resp, prints the HTTP status
  local args=(-o .resp -w '%{http_code}' -X "$1" -H 'content-type: application/json')
  [[ -n "${3:-}" ]] && args+=(--data "$3")
  [[ -n "${4:-}" ]] && args+=(-H "authorization: Bearer $4")
  : >.resp
  "${CURL[@]}" "${args[@]}" "$BASE$2" 2>/dev/null || echo 000
}
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" .resp | head -n 1; }
api POST /api/auth/register "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"name\":\"Podman\"}" >/dev/null
TOKEN=$(field accessToken)
api POST /api/projects '{"name":"Podman quick start"}' "$TOKEN" >/dev/null
PROJECT_ID=$(field id)
check "register, create a project and a task through the proxy" \
  test "$(api POST /api/tasks "{\"projectId\":\"$PROJECT_ID\",\"title\":\"$TITLE\"}" "$TOKEN")" = 201
login_and_find() { # → 0 when the user logs in and the task is listed
  [[ "$(api POST /api/auth/login "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}")" == 200 ]] || return 1
  local token
  token=$(field accessToken)
  [[ "$(api GET "/api/tasks?projectId=$PROJECT_ID" "" "$token")" == 200 ]] && grep -qF "$TITLE" .resp
}
wait_for() { wait_until "$1" 2 "${@:2}"; } # seconds command... → 0 as soon as the command succeeds
t=$SECONDS
run "podman-compose restart" podman-compose restart >.restart.log 2>&1 || tail -n 5 .restart.log
if wait_healthy "$TIMEOUT"; then
  pass "healthy again after podman-compose restart ($((SECONDS - t)) s)"
else
  fail "healthy again after podman-compose restart: not ${NOT_OK[*]}"
fi
# podman-compose restarts the proxy before the api, which comes back on a new address: an nginx that
# resolves `api` only at load (< 1.27.3: the stand-in's 1.22) answers 502 until reloaded; 1.28 re-resolves.
RENDERED=$(podman exec taskplatform-proxy head -n 1 /tmp/nginx/runtime.conf 2>/dev/null || true)
echo "proxy: ${RENDERED#\# }"
if [[ "$RENDERED" == *"re-resolve: no"* ]]; then
  # the README's `podman-compose restart && podman exec taskplatform-proxy nginx -s reload`; first one
  # request to show why (no 30 s wait: this nginx never re-resolves)
  echo "HTTP $(api GET /api/ready) before the reload (nginx resolved api at load)"
  run "podman exec taskplatform-proxy nginx -s reload" podman exec taskplatform-proxy nginx -s reload
  check "the data is there after restart (+ nginx -s reload: this nginx does not re-resolve)" wait_for 30 login_and_find
  SUMMARY+=("restart ok after nginx -s reload (nginx $(sed -n 's/.*for nginx \([0-9.]*\).*/\1/p' <<<"$RENDERED") does not re-resolve)")
elif wait_for 30 login_and_find; then
  pass "the data is there after restart, through the proxy without a reload"
  SUMMARY+=("restart ok")
else
  fail "the data is there after restart (HTTP $(api GET /api/ready), proxy: ${RENDERED})"
  SUMMARY+=("restart FAILED")
fi

# ---------------------------------------------------------------------------------------------------
say "backup.sh and restore.sh"
t=$SECONDS
if run "./scripts/backup.sh" ./scripts/backup.sh </dev/null >.backup.out 2>.backup.err; then
  DUMP=$(tail -n 1 .backup.out)
  pass "backup.sh wrote $(basename "$DUMP") ($(wc -c <"$DUMP") bytes)"
else
  cat .backup.err
  DUMP=""
  fail "backup.sh"
fi
# a change after the backup that the restore must undo
api POST /api/auth/login "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" >/dev/null
TOKEN=$(field accessToken)
api POST /api/tasks "{\"projectId\":\"$PROJECT_ID\",\"title\":\"after the backup $$\"}" "$TOKEN" >/dev/null
if [[ -n "$DUMP" ]] && run "./scripts/restore.sh --yes $DUMP" ./scripts/restore.sh --yes "$DUMP" </dev/null >.restore.log 2>&1 &&
  wait_healthy "$TIMEOUT" && wait_for 60 login_and_find && ! grep -qF "after the backup $$" .resp; then
  pass "restore.sh --yes: the backup's data is back, the later task gone ($((SECONDS - t)) s with the backup)"
  SUMMARY+=("backup/restore ok")
else
  tail -n 15 .restore.log 2>/dev/null || true
  fail "restore.sh --yes brings the backup's data back"
  SUMMARY+=("backup/restore FAILED")
fi
check "no secret in the scripts' output" bash -c '! grep -rqF -f <(cat secrets/db_password secrets/redis_password secrets/jwt_secret; echo) .backup.out .backup.err .restore.log .setup.log .up.log'

# ---------------------------------------------------------------------------------------------------
say "./scripts/test-complete.sh"
tc_args=()
for svc in "${LEFT_OUT[@]}"; do tc_args+=(--skip "$svc"); done
if run "./scripts/test-complete.sh ${tc_args[*]}" ./scripts/test-complete.sh "${tc_args[@]}" </dev/null 2>&1 | tee .test-complete.log |
  grep -E '^(FAIL|test-complete:)'; [[ "${PIPESTATUS[0]}" == 0 ]]; then
  pass "test-complete.sh: $(tail -n 1 .test-complete.log)"
  SUMMARY+=("test-complete ok")
else
  grep -E '^FAIL' .test-complete.log | sed 's/^/  /'
  for c in taskplatform_api_1 taskplatform_postgres-exporter_1; do
    echo "  $c: $(podman inspect -f '{{range $n, $s := .NetworkSettings.Networks}}{{$n}}={{$s.IPAddress}} {{end}}' "$c" 2>/dev/null)"
  done
  echo "  prometheus resolves api as: $(podman exec taskplatform_prometheus_1 nslookup api 2>&1 | tr '\n' ' ' | cut -c1-300)"
  fail "test-complete.sh: $(tail -n 1 .test-complete.log)"
  SUMMARY+=("test-complete FAILED")
fi

# ---------------------------------------------------------------------------------------------------
if ((KEEP)); then
  echo "(--keep: no podman-compose down)"
else
  say "podman-compose down"
  run "podman-compose down" podman-compose down >.down.log 2>&1 || tail -n 5 .down.log
  check "no container left after down" test -z "$(podman ps -aq --filter label=com.docker.compose.project=taskplatform)"
  NETS="taskplatform_frontend taskplatform_backend taskplatform_monitoring"
  # shellcheck disable=SC2086  # the README's line, word-split as typed
  run "podman network rm $NETS" podman network rm $NETS >/dev/null 2>&1 || true
  check "no network left after podman network rm" test -z "$(podman network ls -q --filter label=com.docker.compose.project=taskplatform)"
fi

# The README's block must be what this suite ran: every command line, as typed.
readme_has() {
  local line missing=()
  for line in "$@"; do grep -qF -- "$line" "$REPO/README.md" || missing+=("$line"); done
  ((${#missing[@]} == 0)) && return 0
  printf '  not in README.md: %s\n' "${missing[@]}"
  return 1
}
# shellcheck disable=SC2016  # lines as typed
README_LINES=(
  "cp .env.example .env" "./scripts/setup.sh" "podman-compose up -d" "podman-compose ps"
  "for c in \$(podman ps --format '{{.Names}}' --filter label=com.docker.compose.project=taskplatform); do"
  'podman healthcheck run "$c" && echo "$c healthy"'
  "podman logs taskplatform_api_1" "$PSQL_LINE" "$PING_LINE" "$PING_AUTH_LINE"
  "podman-compose restart && podman exec taskplatform-proxy nginx -s reload"
  "./scripts/backup.sh && ./scripts/restore.sh --yes" "./scripts/test-complete.sh" "podman-compose down"
  "podman network rm taskplatform_frontend taskplatform_backend taskplatform_monitoring"
)
README_LINES+=("${!EXEC_LINE[@]}")
check "README.md's Podman quick start lists every command this suite ran" readme_has "${README_LINES[@]}"

if finish; then exit 0; else exit 1; fi
}

main "$@"
