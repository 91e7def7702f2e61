#!/usr/bin/env bash
# Three Docker Swarm nodes on this machine, for the three-node test (docs/swarm.md, "The three-node test
# on one machine"). Each node is a network namespace tp-swarm-N (10.77.0.1N) with its own containerd and
# dockerd, joined by the host bridge tp-swarm0 (10.77.0.1); all three are managers.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/ci/swarm/nodes.sh COMMAND

  up                 bridge, namespaces, daemons; swarm of three managers; the demo image on every node;
                     the overlay check (a service on an attachable overlay reaching every node by name)
  down               everything removed: daemons (and their containers), namespaces, bridge, iptables
                     rules, cgroups, /var/lib/tp-swarm, /run/tp-swarm (the image cache stays)
  status             the nodes as node1 sees them, and what of the cluster is on this machine
  images REF...      REF onto every node (node1: cache, default dockerd or built; others: save | load)
  power-off N        node N's power cut: every process of it killed with SIGKILL, containers included
  power-on N         node N's daemons started again on its data root (it rejoins the swarm)
  unplug N           node N's cable pulled (ip link set … down on the host side); it keeps running
  plug N             node N's cable back
  docker N ARGS...   the docker client talking to node N, e.g. `nodes.sh docker 1 node ls`

Environment: SWARM_FROM_DEFAULT=0 never reads images from the default dockerd; SWARM_CACHE (image
cache, default /var/cache/taskplatform-ci/swarm). Needs root, iproute2, iptables, Debian's docker.io
(dockerd, containerd, runc) and debootstrap (the stand-in base) — the default dockerd need not run and is
never touched.
USAGE
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/ci/swarm/lib-nodes.sh
source "$HERE/lib-nodes.sh"
# shellcheck source=scripts/ci/lib-standins.sh
source "$HERE/../lib-standins.sh"
# shellcheck source=scripts/ci/swarm/lib-images.sh
source "$HERE/lib-images.sh"

node_arg() {
  [[ "${1:-}" =~ ^[1-3]$ ]] || {
    echo "a node number 1-3 is needed (see --help)" >&2
    exit 2
  }
}

main() {
  local command=${1:-}
  (($#)) && shift
  case "$command" in
    up)
      swarm_up
      swarm_images_to_nodes "$(swarm_demo_image)"
      swarm_overlay_check "$(swarm_demo_image)"
      node_docker 1 node ls
      ;;
    down)
      swarm_down
      swarm_leftovers
      ;;
    status)
      node_docker 1 node ls || true
      swarm_leftovers
      ;;
    images) swarm_images_to_nodes "$@" ;;
    power-off | power-on | unplug | plug)
      node_arg "${1:-}"
      "node_${command//-/_}" "$1"
      ;;
    docker)
      node_arg "${1:-}"
      node_docker "$@"
      ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

if [[ $(id -u) -ne 0 ]]; then
  echo "nodes.sh: needs root (namespaces, bridge, iptables, daemons)" >&2
  exit 1
fi
main "$@"
