#!/usr/bin/env bash
# Images onto the swarm nodes the way a cluster without a registry does it (sourced, after lib-nodes.sh
# and ../lib-standins.sh): every image gets to node1 once, then `docker save | docker load` into the
# other nodes. Where an image comes from, in order:
#   1. node1 has it already;
#   2. the cache of this harness ($SWARM_CACHE/*.tar, kept across runs: nodes.sh down wipes the nodes);
#   3. the default dockerd of this machine, read-only (`docker save`), when it answers and has it — unless
#      SWARM_FROM_DEFAULT=0;
#   4. built on node1: the harness's demo image (scripts/ci/swarm/demo), a project image
#      (localhost/taskplatform-*) from its Containerfile in $SWARM_PROJECT_DIR (swarm-test.sh --real), or a CI
#      stand-in (scripts/ci/standins/) for a third-party reference.
# Project images are never cached: they change with the tree.
# The private-registry alternative (Debian's docker-registry) is in docs/swarm.md.

SWARM_DEMO_DIR="$SWARM_LIB_DIR/demo"

# The demo image's tag carries a hash of its folder: a changed Dockerfile is a new image, never a stale
# one from the cache.
swarm_demo_image() {
  local hash
  hash=$(cd "$SWARM_DEMO_DIR" && cat Dockerfile app.sh nginx.conf | sha256sum)
  echo "taskplatform-ci/swarm-demo:${hash:0:12}"
}

# The default dockerd's client, when it answers (never started or changed from here).
swarm_default_docker_answers() {
  [[ "${SWARM_FROM_DEFAULT:-1}" != 0 ]] && timeout 10 /usr/bin/docker -H unix:///var/run/docker.sock info >/dev/null 2>&1
}

swarm_cache_file() { echo "$SWARM_CACHE/${1//[^A-Za-z0-9._-]/_}.tar"; }

# The standins library builds with "$DOCKER" on whatever DOCKER_HOST says: node1 here.
swarm_on_node1() { DOCKER=/usr/bin/docker DOCKER_HOST="unix://$(node_sock 1)" DOCKER_BUILDKIT=0 "$@"; }

# swarm_build_on_node1 REF: builds REF on node1 (the stand-in base, the demo image or a stand-in).
swarm_build_on_node1() {
  local ref=$1 folder log status=0
  if [[ "$ref" == "$STANDINS_BASE" ]]; then
    swarm_on_node1 standins_build_base
    return
  fi
  if [[ "$ref" =~ ^localhost/taskplatform-([a-z-]+):(.+)$ ]]; then
    swarm_build_project_image "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    return
  fi
  # everything else here is built on the base: first that (cached, from the default dockerd or debootstrap)
  swarm_image_to_node1 "$STANDINS_BASE" || return 1
  if [[ "$ref" == "$(swarm_demo_image)" ]]; then
    node_docker 1 build -q --build-arg "BASE=$STANDINS_BASE" -t "$ref" "$SWARM_DEMO_DIR" >/dev/null
    return
  fi
  folder=$(standins_folder_for "$ref")
  if [[ -z "$folder" || "$folder" == SKIP:* ]]; then
    swarm_log "no way to get $ref: not on node1, not cached, not on the default dockerd, no stand-in"
    return 1
  fi
  # shellcheck disable=SC2016  # literal text of the Dockerfiles
  if grep -q 'FROM ${TOOLS}' "$(standins_folder_dir "$folder")/Dockerfile"; then
    swarm_on_node1 standins_build_tools || return 1
  fi
  log=$(mktemp /var/tmp/tp-swarm-build.XXXXXX)
  swarm_on_node1 standins_build_one "$folder" "$log" "$ref" || status=$?
  ((status == 0)) || tail -n 30 "$log" >&2
  rm -f "$log"
  return "$status"
}

# swarm_build_project_image NAME TAG: localhost/taskplatform-NAME:TAG built on node1 from the tree in
# SWARM_PROJECT_DIR (db-ha on top of db, both needing their base images first).
swarm_build_project_image() {
  local name=$1 tag=$2 file base args=()
  case "$name" in
    db) file=db/Containerfile ;;
    db-ha)
      file=db/patroni/Containerfile
      swarm_image_to_node1 "localhost/taskplatform-db:$tag" || return 1
      args=(--build-arg "DB_IMAGE=localhost/taskplatform-db:$tag")
      ;;
    api | proxy) file=$name/Containerfile ;;
    *) swarm_log "no Containerfile known for localhost/taskplatform-$name" && return 1 ;;
  esac
  [[ -n "${SWARM_PROJECT_DIR:-}" ]] || { swarm_log "SWARM_PROJECT_DIR unset: cannot build localhost/taskplatform-$name" && return 1; }
  while read -r base; do
    swarm_image_to_node1 "$base" || return 1
  done < <(awk '$1 == "FROM" && $2 != "scratch" && $2 !~ /[$]/ { print $2 }' "$SWARM_PROJECT_DIR/$file" | sort -u)
  swarm_log "localhost/taskplatform-$name:$tag: building on node1 from $file"
  DOCKER_BUILDKIT=0 node_docker 1 build -q "${args[@]}" -f "$SWARM_PROJECT_DIR/$file" -t "localhost/taskplatform-$name:$tag" "$SWARM_PROJECT_DIR" >/dev/null
}

# swarm_image_to_node1 REF: makes node1 have REF (sources 1-4 above); built images go to the cache.
swarm_image_to_node1() {
  local ref=$1 cache
  cache=$(swarm_cache_file "$ref")
  node_docker 1 image inspect "$ref" >/dev/null 2>&1 && return 0
  if [[ -f "$cache" ]] && node_docker 1 load -q -i "$cache" >/dev/null; then
    swarm_log "$ref: loaded from $cache"
    return 0
  fi
  if swarm_default_docker_answers && /usr/bin/docker image inspect "$ref" >/dev/null 2>&1; then
    swarm_log "$ref: docker save (default dockerd) | docker load (node1)"
    /usr/bin/docker -H unix:///var/run/docker.sock save "$ref" | node_docker 1 load -q >/dev/null
    return
  fi
  swarm_log "$ref: building on node1"
  swarm_build_on_node1 "$ref" || return 1
  [[ "$ref" == localhost/taskplatform-* ]] && return 0
  mkdir -p "$SWARM_CACHE"
  node_docker 1 save -o "$cache.part" "$ref" && mv "$cache.part" "$cache"
}

# swarm_images_to_nodes REF...: every REF on every node; node2 and node3 get them from node1 with one
# `docker save | docker load` each, the references they lack only.
swarm_images_to_nodes() {
  local ref n missing
  for ref in "$@"; do swarm_image_to_node1 "$ref" || return 1; done
  for n in "${SWARM_NODES[@]:1}"; do
    missing=()
    for ref in "$@"; do
      node_docker "$n" image inspect "$ref" >/dev/null 2>&1 || missing+=("$ref")
    done
    ((${#missing[@]})) || continue
    node_docker 1 save "${missing[@]}" | node_docker "$n" load -q >/dev/null || return 1
  done
}
