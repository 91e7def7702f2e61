#!/usr/bin/env bash
# Deploys (or updates) the TaskPlatform stack on a Docker Swarm of three or more nodes (docs/swarm.md):
#   1. labels the nodes: tp.pg=1..3 (Patroni + etcd members), tp.redis=1..3 (Redis + Sentinels) and
#      tp.monitoring=true (Prometheus, Alertmanager, Grafana, Loki) where no node has them yet
#   2. creates the Swarm secrets from secrets/ (scripts/swarm/secrets.sh)
#   3. builds the images (unless --no-build) and ships them to the nodes: pushed to SWARM_REGISTRY, or
#      `docker save | docker load` into every DOCKER_HOST listed in SWARM_LOAD_HOSTS
#   4. renders deploy/swarm/rendered/stack.yml from compose.yaml (scripts/swarm/render-stack.ts)
#   5. docker stack deploy, then waits until every service runs all its tasks (DEPLOY_TIMEOUT seconds)
#
#   scripts/swarm/deploy.sh [--no-build]      on a manager, or anywhere with DOCKER_HOST=ssh://manager
#   DOCKER            the client command (default docker)
#   SWARM_STACK_NAME  the stack's name (default taskplatform)
#   SWARM_REGISTRY    host:port of a private registry every node pulls from (Debian's docker-registry)
#   SWARM_LOAD_HOSTS  without a registry: the other nodes' engines, e.g. "ssh://root@node2 ssh://root@node3"
#   SWARM_RENDER_DIR  where the stack file is rendered (default deploy/swarm/rendered); TP_ENV_FILE (.env)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$TP_ROOT"
build=1
case "${1:-}" in
  --no-build) build=0 ;;
  '') ;;
  -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
esac

env_file=${TP_ENV_FILE:-$TP_ROOT/.env}
[[ -f "$env_file" ]] || die "$env_file not found: run scripts/setup.sh first"
load_env
command -v bun >/dev/null || die "bun renders the stack file: npm install -g bun (docs/swarm.md)"
read -ra docker <<<"${DOCKER:-docker}"
stack=${SWARM_STACK_NAME:-taskplatform}
tag=${TP_IMAGE_TAG:-latest}
replicas=${SWARM_API_REPLICAS:-2}
timeout=${DEPLOY_TIMEOUT:-180}
render_dir=${SWARM_RENDER_DIR:-$TP_ROOT/deploy/swarm/rendered}

state=$("${docker[@]}" info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}')
[[ "$state" == "active true" ]] || die "this engine is not a swarm manager ($state): docker swarm init / join as manager"

# 1. node labels
mapfile -t nodes < <("${docker[@]}" node ls --format '{{.Hostname}} {{.ID}}' | sort | cut -d' ' -f2)
((${#nodes[@]} >= 3)) || die "${#nodes[@]} node(s): the stack needs three (docs/swarm.md, From zero to three nodes)"
((replicas <= ${#nodes[@]} - 1)) ||
  die "SWARM_API_REPLICAS=$replicas on ${#nodes[@]} nodes: at most nodes - 1, a start-first update needs a free node"
label_of() { "${docker[@]}" node inspect --format "{{index .Spec.Labels \"$2\"}}" "$1"; }
for key in tp.pg tp.redis; do
  for i in 1 2 3; do
    taken=""
    for n in "${nodes[@]}"; do [[ "$(label_of "$n" "$key")" == "$i" ]] && taken=$n; done
    [[ -n "$taken" ]] && continue
    for n in "${nodes[@]}"; do
      if [[ -z "$(label_of "$n" "$key")" ]]; then
        "${docker[@]}" node update --label-add "$key=$i" "$n" >/dev/null
        log "labelled node $n $key=$i"
        break
      fi
    done
  done
done
monitoring=0
for n in "${nodes[@]}"; do [[ "$(label_of "$n" tp.monitoring)" == true ]] && monitoring=1; done
if ((monitoring == 0)); then
  "${docker[@]}" node update --label-add tp.monitoring=true "${nodes[0]}" >/dev/null
  log "labelled node ${nodes[0]} tp.monitoring=true"
fi

# 2. secrets
DOCKER="${docker[*]}" SWARM_STACK_NAME=$stack "$TP_ROOT/scripts/swarm/secrets.sh"

# 3. images
images=(taskplatform-db taskplatform-db-ha taskplatform-api taskplatform-proxy)
refs=()
for image in "${images[@]}"; do refs+=("localhost/$image:$tag"); done
if ((build)); then
  "${docker[@]}" build -q -f db/Containerfile -t "localhost/taskplatform-db:$tag" . >/dev/null
  "${docker[@]}" build -q -f db/patroni/Containerfile --build-arg "DB_IMAGE=localhost/taskplatform-db:$tag" \
    -t "localhost/taskplatform-db-ha:$tag" . >/dev/null
  "${docker[@]}" build -q -f api/Containerfile -t "localhost/taskplatform-api:$tag" . >/dev/null
  "${docker[@]}" build -q -f proxy/Containerfile -t "localhost/taskplatform-proxy:$tag" . >/dev/null
  log "built ${images[*]} ($tag)"
fi
resolve=(--resolve-image never)
if [[ -n "${SWARM_REGISTRY:-}" ]]; then
  for image in "${images[@]}"; do
    "${docker[@]}" tag "localhost/$image:$tag" "$SWARM_REGISTRY/$image:$tag"
    "${docker[@]}" push -q "$SWARM_REGISTRY/$image:$tag" >/dev/null
  done
  log "pushed the images to $SWARM_REGISTRY"
  resolve=(--resolve-image always --with-registry-auth)
elif [[ -n "${SWARM_LOAD_HOSTS:-}" ]]; then
  read -ra hosts <<<"$SWARM_LOAD_HOSTS"
  for host in "${hosts[@]}"; do
    "${docker[@]}" save "${refs[@]}" |
      DOCKER_HOST=$host "${docker[0]}" load -q >/dev/null
    log "loaded the images into $host"
  done
else
  log "no SWARM_REGISTRY nor SWARM_LOAD_HOSTS: every node must already have the localhost/taskplatform-* images"
fi

# 4. render
bun scripts/swarm/render-stack.ts --env-file "$env_file" --out "$render_dir"

# 5. deploy and wait
"${docker[@]}" stack deploy --prune "${resolve[@]}" -c "$render_dir/stack.yml" "$stack"
deadline=$((SECONDS + timeout))
while :; do
  pending=$("${docker[@]}" service ls --filter "label=com.docker.stack.namespace=$stack" \
    --format '{{.Name}} {{.Replicas}}' | awk '{ split($2, r, "/"); if (r[1] != r[2]) print $1 " " $2 }')
  [[ -z "$pending" ]] && break
  ((SECONDS < deadline)) || die "not every task is running after ${timeout}s: $(tr '\n' ' ' <<<"$pending")(docker service ps <name>)"
  sleep 5
done
log "stack $stack deployed: every service runs all its tasks"
