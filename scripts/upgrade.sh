#!/usr/bin/env bash
# Upgrades the API replicas without dropping a request: new replicas start beside the old ones, and only
# once they are healthy does the proxy send them the traffic (upstream switched by a graceful nginx
# reload, which lets requests in flight finish on the old workers). A canary window then watches the new
# replicas' 5xx ratio in the proxy's access log. Healthy: the old replicas are drained (SIGTERM: they
# finish in-flight requests and end their event streams, whose browsers reconnect to the new replicas
# with Last-Event-ID) and removed. Not healthy in time, or too many 5xx: the proxy goes back to the old
# replicas, the new ones are removed, and the script says so and exits 3. docs/production.md, Upgrading.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib/upgrade.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/upgrade.sh"

usage() {
  cat <<USAGE
Usage: scripts/upgrade.sh [options]

Options:
  --image TAG       run localhost/taskplatform-api:TAG (built or loaded beforehand) instead of building
  --no-build        do not build the api image (use the one present under its tag)
  --timeout SEC     how long the new replicas have to become healthy (default 180)
  --canary SEC      how long the new replicas serve before the old ones go (default 30)
  --max-5xx RATIO   largest share of 5xx answers from the new replicas during the canary (default 0.01)
  --drain SEC       how long an old replica has to finish after SIGTERM (default 30)
  --dry-run         print the plan and change nothing
  -h, --help        this help

Exit status: 0 upgraded, 3 rolled back (the old replicas serve as before), 1 any other error.
The proxy (the SPA and nginx's configuration) is not replaced here: scripts/deploy.sh proxy does that.
USAGE
}

load_env
tag=${TP_IMAGE_TAG:-latest}
build=1
timeout=180
canary=30
max_5xx=0.01
drain=30
dry_run=0
while (($#)); do
  case "$1" in
    --image) tag=${2:?--image needs a tag}; build=0; shift 2 ;;
    --no-build) build=0; shift ;;
    --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
    --canary) canary=${2:?--canary needs seconds}; shift 2 ;;
    --max-5xx) max_5xx=${2:?--max-5xx needs a ratio}; shift 2 ;;
    --drain) drain=${2:?--drain needs seconds}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
upgrade_check_options "$tag" "$max_5xx" "$timeout" "$canary" "$drain"

require_engine
image="localhost/taskplatform-api:$tag"
mapfile -t old < <(service_containers api)
((${#old[@]})) || die "no running api replica: nothing to upgrade (start the stack with ./scripts/deploy.sh)"
replicas=${#old[@]}
proxy=$(one_container proxy)

if ((dry_run)); then
  log "plan (dry run; nothing changes):"
  log "  1. $( ((build)) && echo "build $image (compose build api)" || echo "use $image as it is")"
  log "  2. apply the database migrations with it (expand-only: the $replicas running replica(s) keep serving)"
  log "  3. start $replicas new replica(s) of $image beside the old ones: ${old[*]}"
  log "  4. wait up to ${timeout}s until every new replica passes its healthcheck"
  log "  5. switch the proxy's upstream to the new replicas (graceful nginx reload)"
  log "  6. canary: ${canary}s serving; more than ${max_5xx} of their answers 5xx, or a replica unhealthy: roll back"
  log "  7. drain the old replicas (SIGTERM, up to ${drain}s: in-flight requests finish, event streams end), remove them"
  log "  8. the proxy's upstream back to the service name (api:4000)"
  log "  on failure at 4 or 6: the proxy back to the old replicas, the new ones removed, exit 3"
  exit 0
fi

new=()
switched=0
rollback() {
  log "ROLLING BACK: $1"
  if ((switched)); then
    set_upstream "$proxy" "$old_upstream" || warn "could not switch the proxy back to the old replicas"
  fi
  if ((${#new[@]})); then
    "$ENGINE" stop -t 10 "${new[@]}" </dev/null >/dev/null 2>&1 || true
    "$ENGINE" rm -f "${new[@]}" </dev/null >/dev/null 2>&1 || true
  fi
  set_upstream "$proxy" "" || warn "could not reset the proxy's upstream to the service name"
  log "rolled back: the ${#old[@]} previous replica(s) serve as before (${old[*]})"
  exit 3
}

if ((build)); then
  log "building $image"
  TP_IMAGE_TAG=$tag compose build api
fi
"$ENGINE" image inspect "$image" </dev/null >/dev/null 2>&1 || die "no image $image (build or load it first)"
TP_IMAGE_TAG=$tag run_migrations

old_upstream=""
for id in "${old[@]}"; do old_upstream+="$(frontend_address "$id") "; done

log "starting $replicas new replica(s) of $image beside ${old[*]}"
TP_IMAGE_TAG=$tag compose up -d --no-deps --no-recreate --scale "api=$((replicas * 2))" api >&2
mapfile -t all < <(service_containers api)
for id in "${all[@]}"; do [[ " ${old[*]} " == *" $id "* ]] || new+=("$id"); done
((${#new[@]} == replicas)) || rollback "${#new[@]} new replica(s) started, $replicas wanted (${COMPOSE[*]} must support --scale)"

log "waiting up to ${timeout}s for the new replicas to be healthy"
start=$SECONDS
for id in "${new[@]}"; do replica_wait "$id" "$start" "$timeout" || rollback "$REPLICA_FAILURE"; done
log "new replicas healthy after $((SECONDS - start))s: ${new[*]}"

new_upstream=""
for id in "${new[@]}"; do new_upstream+="$(frontend_address "$id") "; done
switch_time=$(date -u +%Y-%m-%dT%H:%M:%SZ)
set_upstream "$proxy" "$new_upstream" || rollback "the proxy did not accept the new upstream"
switched=1
log "proxy switched to the new replicas ($new_upstream); canary for ${canary}s"
end=$((SECONDS + canary))
while ((SECONDS < end)); do
  for id in "${new[@]}"; do replica_healthy "$id" || rollback "new replica $id unhealthy during the canary"; done
  sleep 2
done
read -r answers errors < <(answers_of "$proxy" "$switch_time" "$new_upstream")
if too_many_5xx "$answers" "$errors" "$max_5xx"; then
  rollback "$errors of $answers answers of the new replicas were 5xx (more than $max_5xx)"
fi
log "canary passed: $answers answers, $errors 5xx"

log "draining the old replicas (SIGTERM, up to ${drain}s): ${old[*]}"
"$ENGINE" stop -t "$drain" "${old[@]}" </dev/null >/dev/null
"$ENGINE" rm "${old[@]}" </dev/null >/dev/null
set_upstream "$proxy" "" || warn "could not reset the proxy's upstream to the service name (it still lists the new replicas' addresses)"
log "upgraded: $replicas replica(s) of $image serve"
[[ "$tag" == "${TP_IMAGE_TAG:-latest}" ]] || log "set TP_IMAGE_TAG=$tag in .env, so later deploys keep this image"
