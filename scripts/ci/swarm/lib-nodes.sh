#!/usr/bin/env bash
# Three Docker Swarm nodes on one machine (sourced, not run): each node is a network namespace
# tp-swarm-N with its own containerd and dockerd (own data root, exec root, socket, cgroup, hostname),
# all joined by the host bridge tp-swarm0 like three machines on one LAN. Used by scripts/ci/swarm/nodes.sh
# and scripts/ci/swarm-test.sh; see docs/swarm.md ("The three-node test on one machine").
# Never touches the default dockerd (/var/run/docker.sock, /var/lib/docker): everything here is named
# tp-swarm and lives under /run/tp-swarm, /var/lib/tp-swarm and /var/log/tp-swarm.

SWARM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SWARM_NODES=(1 2 3)
SWARM_BRIDGE=tp-swarm0
SWARM_SUBNET_PREFIX=10.77.0
SWARM_HOST_IP=$SWARM_SUBNET_PREFIX.1
# Overlay networks get their subnets from here, away from the nodes' LAN and from Docker's default
# 10.0.0.0/8 pool that the default daemon of this machine may use.
SWARM_ADDR_POOL=10.78.0.0/16
SWARM_RUN=/run/tp-swarm
SWARM_DATA=/var/lib/tp-swarm
SWARM_LOGS=/var/log/tp-swarm
SWARM_CACHE=${SWARM_CACHE:-/var/cache/taskplatform-ci/swarm}
# The FORWARD chain between the nodes: Swarm's ports only, as a cloud security group would allow.
SWARM_CHAIN=TP-SWARM

swarm_log() { printf 'swarm: %s\n' "$*" >&2; }

node_ns() { echo "tp-swarm-$1"; }
node_ip() { echo "$SWARM_SUBNET_PREFIX.1$1"; }
node_sock() { echo "$SWARM_RUN/node$1.sock"; }
# The host's end of the node's cable (the node's end is eth0 in its namespace).
node_veth() { echo "tp-swarm-v$1"; }
node_log() { echo "$SWARM_LOGS/node$1.log"; }

# node_docker N ARGS...: Debian's docker client (the daemon's version) talking to node N.
node_docker() {
  local n=$1
  shift
  /usr/bin/docker -H "unix://$(node_sock "$n")" "$@"
}

# The cgroup holding everything of node N (daemons in daemon/, containers in containers/): freezer on
# cgroup v1, the unified hierarchy on v2. Killing all of it is the node's power cut.
node_cgroup() {
  if [[ -d /sys/fs/cgroup/freezer ]]; then
    echo "/sys/fs/cgroup/freezer/tp-swarm/node$1"
  else
    echo "/sys/fs/cgroup/tp-swarm/node$1"
  fi
}

# wait_for SECONDS COMMAND...: true as soon as COMMAND succeeds (polled every 0.5 s), false after SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# ---------------------------------------------------------------------------------------------------
# The LAN: bridge, namespaces, veth pairs, the host's FORWARD rules.

swarm_network_up() {
  local n ns veth
  if ! ip link show "$SWARM_BRIDGE" >/dev/null 2>&1; then
    ip link add "$SWARM_BRIDGE" type bridge
    ip addr add "$SWARM_HOST_IP/24" dev "$SWARM_BRIDGE"
  fi
  ip link set "$SWARM_BRIDGE" up
  for n in "${SWARM_NODES[@]}"; do
    ns=$(node_ns "$n")
    veth=$(node_veth "$n")
    ip netns list | grep -qw "$ns" || ip netns add "$ns"
    if ! ip link show "$veth" >/dev/null 2>&1; then
      ip link add "$veth" type veth peer name eth0 netns "$ns"
      ip -n "$ns" addr add "$(node_ip "$n")/24" dev eth0
    fi
    ip link set "$veth" master "$SWARM_BRIDGE" up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route replace default via "$SWARM_HOST_IP"
  done
  swarm_firewall_up
}

# The host's rules for the nodes' LAN, in the chain TP-SWARM. With br_netfilter, frames between the
# nodes cross the host's FORWARD chain, whose policy a Docker daemon sets to DROP: let Swarm's ports
# through (2377/tcp management, 7946/tcp+udp gossip, 4789/udp VXLAN) and nothing else, the rules a real
# cluster needs between its machines. The nodes reach the outside through the host (masquerade), as
# machines on a LAN do: image builds on node1 install Debian packages.
swarm_firewall_up() {
  local lan=$SWARM_SUBNET_PREFIX.0/24
  iptables -N "$SWARM_CHAIN" 2>/dev/null || iptables -F "$SWARM_CHAIN"
  iptables -A "$SWARM_CHAIN" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  iptables -A "$SWARM_CHAIN" -i "$SWARM_BRIDGE" -o "$SWARM_BRIDGE" -p tcp --dport 2377 -j ACCEPT
  iptables -A "$SWARM_CHAIN" -i "$SWARM_BRIDGE" -o "$SWARM_BRIDGE" -p tcp --dport 7946 -j ACCEPT
  iptables -A "$SWARM_CHAIN" -i "$SWARM_BRIDGE" -o "$SWARM_BRIDGE" -p udp --dport 7946 -j ACCEPT
  iptables -A "$SWARM_CHAIN" -i "$SWARM_BRIDGE" -o "$SWARM_BRIDGE" -p udp --dport 4789 -j ACCEPT
  iptables -A "$SWARM_CHAIN" -i "$SWARM_BRIDGE" ! -o "$SWARM_BRIDGE" -j ACCEPT
  iptables -A "$SWARM_CHAIN" -j DROP
  iptables -C FORWARD -i "$SWARM_BRIDGE" -j "$SWARM_CHAIN" 2>/dev/null ||
    iptables -I FORWARD 1 -i "$SWARM_BRIDGE" -j "$SWARM_CHAIN"
  iptables -C FORWARD -o "$SWARM_BRIDGE" -j "$SWARM_CHAIN" 2>/dev/null ||
    iptables -I FORWARD 1 -o "$SWARM_BRIDGE" -j "$SWARM_CHAIN"
  iptables -t nat -C POSTROUTING -s "$lan" ! -o "$SWARM_BRIDGE" -j MASQUERADE 2>/dev/null ||
    iptables -t nat -A POSTROUTING -s "$lan" ! -o "$SWARM_BRIDGE" -j MASQUERADE
  sysctl -qw net.ipv4.ip_forward=1
}

swarm_network_down() {
  local n
  while iptables -D FORWARD -i "$SWARM_BRIDGE" -j "$SWARM_CHAIN" 2>/dev/null; do :; done
  while iptables -D FORWARD -o "$SWARM_BRIDGE" -j "$SWARM_CHAIN" 2>/dev/null; do :; done
  while iptables -t nat -D POSTROUTING -s "$SWARM_SUBNET_PREFIX.0/24" ! -o "$SWARM_BRIDGE" -j MASQUERADE 2>/dev/null; do :; done
  iptables -F "$SWARM_CHAIN" 2>/dev/null || true
  iptables -X "$SWARM_CHAIN" 2>/dev/null || true
  for n in "${SWARM_NODES[@]}"; do
    ip netns del "$(node_ns "$n")" 2>/dev/null || true
    ip link del "$(node_veth "$n")" 2>/dev/null || true
  done
  ip link del "$SWARM_BRIDGE" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------------
# The daemons of one node.

node_answers() { timeout 10 /usr/bin/docker -H "unix://$(node_sock "$1")" info >/dev/null 2>&1; }

# node_start N: containerd + dockerd of node N in its namespace (scripts/ci/swarm/node-daemons.sh), with
# the node's data root kept from before (a node coming back after a power cut). Waits for the socket.
node_start() {
  local n=$1 cg i
  node_answers "$n" && return 0
  cg=$(node_cgroup "$n")
  mkdir -p "$cg/daemon" "$SWARM_RUN" "$SWARM_DATA/node$n" "$SWARM_LOGS"
  # setsid + nohup: the daemons outlive the shell that started them (nodes.sh up returns). nsenter, not
  # ip netns exec: that one mounts a new /sys, hiding the cgroup hierarchies dockerd needs. A private
  # mount namespace: the daemons' mounts never show on the host and vanish with their processes.
  setsid nohup nsenter --net="/run/netns/$(node_ns "$n")" unshare --mount --propagation slave --uts \
    bash "$SWARM_LIB_DIR/node-daemons.sh" "$n" "$cg" >>"$(node_log "$n")" 2>&1 </dev/null 9>&- &
  disown # not a job of this shell: its power cut is no news to report
  for ((i = 0; i < 120; i++)); do
    node_answers "$n" && return 0
    sleep 0.5
  done
  swarm_log "node$n: dockerd did not answer within 60 s; last lines of $(node_log "$n"):"
  tail -n 20 "$(node_log "$n")" >&2
  return 1
}

# The pids of every process of node N: daemons, shims, containers.
node_pids() {
  local cg
  cg=$(node_cgroup "$1")
  [[ -d "$cg" ]] || return 0
  find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
}

# node_power_off N: the power cut. Every process of the node (containerd, dockerd, shims, containers) is
# frozen, then killed with SIGKILL: nothing gets to say goodbye to the swarm.
node_power_off() {
  local n=$1 cg pids i
  cg=$(node_cgroup "$n")
  [[ -d "$cg" ]] || return 0
  if [[ -f "$cg/cgroup.kill" ]]; then
    echo 1 >"$cg/cgroup.kill"
  else
    echo FROZEN >"$cg/freezer.state"
    pids=$(node_pids "$n")
    # shellcheck disable=SC2086  # one pid per word
    [[ -z "$pids" ]] || kill -9 $pids 2>/dev/null || true
    echo THAWED >"$cg/freezer.state"
  fi
  for ((i = 0; i < 100; i++)); do
    [[ -z "$(node_pids "$n")" ]] && return 0
    sleep 0.1
  done
  swarm_log "node$n: processes left after the power cut: $(node_pids "$n" | tr '\n' ' ')"
  return 1
}

node_power_on() { node_start "$1"; }

# node_unplug N / node_plug N: the node's cable. Its daemons and containers keep running, cut off.
node_unplug() { ip link set "$(node_veth "$1")" down; }
node_plug() { ip link set "$(node_veth "$1")" up; }

# Removes the cgroups Docker made for node N's containers (in every v1 hierarchy) and the node's own.
node_cgroups_remove() {
  local n=$1 dir
  for dir in /sys/fs/cgroup/*/tp-swarm/node"$n" /sys/fs/cgroup/tp-swarm/node"$n"; do
    [[ -d "$dir" ]] || continue
    find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  for dir in /sys/fs/cgroup/*/tp-swarm /sys/fs/cgroup/tp-swarm; do
    if [[ -d "$dir" ]]; then rmdir "$dir" 2>/dev/null || true; fi
  done
}

# ---------------------------------------------------------------------------------------------------
# The cluster.

# swarm_up: network, the three nodes' daemons, node1 initialises the swarm, node2 and node3 join as
# managers (three managers: the raft keeps its quorum of two when one node is lost), each node gets the
# label tp-zone=N for placement preferences. Idempotent.
swarm_up() {
  local n token
  swarm_network_up
  for n in "${SWARM_NODES[@]}"; do node_start "$n" || return 1; done
  if [[ "$(node_docker 1 info -f '{{.Swarm.LocalNodeState}}')" != active ]]; then
    node_docker 1 swarm init --advertise-addr "$(node_ip 1)" --listen-addr "$(node_ip 1):2377" \
      --default-addr-pool "$SWARM_ADDR_POOL" >/dev/null
  fi
  token=$(node_docker 1 swarm join-token -q manager)
  for n in "${SWARM_NODES[@]:1}"; do
    [[ "$(node_docker "$n" info -f '{{.Swarm.LocalNodeState}}')" == active ]] && continue
    node_docker "$n" swarm join --token "$token" --advertise-addr "$(node_ip "$n")" \
      --listen-addr "$(node_ip "$n"):2377" "$(node_ip 1):2377" >/dev/null
  done
  wait_for 60 swarm_managers_ready 1 3 || {
    swarm_log "the three managers are not all Ready:"
    node_docker 1 node ls >&2
    return 1
  }
  for n in "${SWARM_NODES[@]}"; do
    node_docker 1 node update --label-add "tp-zone=$n" "tp-swarm-$n" >/dev/null
  done
}

# swarm_managers_ready FROM COUNT: node FROM sees COUNT managers Ready and Reachable (one of them Leader).
swarm_managers_ready() {
  local ready
  ready=$(node_docker "$1" node ls -f role=manager --format '{{.Status}} {{.ManagerStatus}}' |
    grep -cE '^Ready (Leader|Reachable)$' || true)
  ((ready == $2))
}

# swarm_node_status FROM N: node N's status (Ready, Down, Unknown) as node FROM sees it.
swarm_node_status() { node_docker "$1" node inspect -f '{{.Status.State}}' "tp-swarm-$2"; }

# swarm_down: every daemon stopped (SIGKILL: the data root goes anyway), namespaces, bridge, FORWARD
# rules, cgroups, data roots and sockets removed. Idempotent; the image cache stays.
swarm_down() {
  local n
  for n in "${SWARM_NODES[@]}"; do node_power_off "$n" || true; done
  swarm_network_down
  for n in "${SWARM_NODES[@]}"; do node_cgroups_remove "$n"; done
  # The daemons mounted in their own mount namespaces (ip netns exec), gone with their processes;
  # anything still mounted here would make rm fail, so say it.
  if findmnt -rn -o TARGET | grep -E "^($SWARM_DATA|$SWARM_RUN)" >&2; then
    swarm_log "mounts left under $SWARM_DATA or $SWARM_RUN (above): unmounting"
    findmnt -rn -o TARGET | grep -E "^($SWARM_DATA|$SWARM_RUN)" | sort -r | xargs -r -n 1 umount -l
  fi
  rm -rf "$SWARM_DATA" "$SWARM_RUN"
}

# swarm_leftovers: prints what of the cluster is still on this machine (nothing after swarm_down).
swarm_leftovers() {
  local n
  ip link show "$SWARM_BRIDGE" >/dev/null 2>&1 && echo "bridge $SWARM_BRIDGE"
  for n in "${SWARM_NODES[@]}"; do
    ip netns list | grep -qw "$(node_ns "$n")" && echo "namespace $(node_ns "$n")"
    [[ -n "$(node_pids "$n")" ]] && echo "processes of node$n"
  done
  iptables -S "$SWARM_CHAIN" >/dev/null 2>&1 && echo "iptables chain $SWARM_CHAIN"
  iptables -t nat -S POSTROUTING | grep -F -- "-s $SWARM_SUBNET_PREFIX.0/24" | sed 's/^/nat rule /' || true
  compgen -G "/sys/fs/cgroup/*/tp-swarm" >/dev/null && echo "cgroups /sys/fs/cgroup/*/tp-swarm"
  [[ -e "$SWARM_DATA" ]] && echo "$SWARM_DATA"
  [[ -e "$SWARM_RUN" ]] && echo "$SWARM_RUN"
  findmnt -rn -o TARGET | grep -E "^($SWARM_DATA|$SWARM_RUN)" | sed 's/^/mount /' || true
  return 0
}

# swarm_service_converged FROM SERVICE: every task SERVICE should run is running (as node FROM sees it).
swarm_service_converged() {
  local want running
  want=$(node_docker "$1" service ls -f "name=$2" --format '{{.Name}} {{.Replicas}}' | awk -v s="$2" '$1 == s { print $2 }')
  [[ "$want" =~ ^([0-9]+)/([0-9]+)$ ]] || return 1
  running=${BASH_REMATCH[1]}
  want=${BASH_REMATCH[2]}
  ((want > 0 && running == want))
}

# swarm_overlay_check IMAGE: an --attachable overlay network across the nodes works. Three replicas of
# IMAGE's app (one per node) on it; from inside each one, the others are found by name (tasks.<service>,
# Docker's DNS) and answer over VXLAN; a plain `docker run` container on node3 reaches the service by name.
# Prints what each node reached; removes the service and network again.
swarm_overlay_check() {
  # a name of its own each time: a node may keep a removed swarm network in its local list for a while
  local image=$1 name=tp-overlay-check-$RANDOM n cid ips ip reached ok=0 answer
  node_docker 1 network create -d overlay --attachable "$name" >/dev/null
  # busybox wget's -T crashes (Debian's busybox-static 1.35): timeout(1) bounds it instead.
  node_docker 1 service create -d -q --no-resolve-image --name "$name" --network "$name" --replicas 3 --replicas-max-per-node 1 \
    --endpoint-mode dnsrr --env 'TASK={{.Task.Name}}' --env 'NODE={{.Node.Hostname}}' "$image" >/dev/null
  if wait_for 90 swarm_service_converged 1 "$name"; then
    for n in "${SWARM_NODES[@]}"; do
      cid=$(node_docker "$n" ps -q -f "label=com.docker.swarm.service.name=$name" | head -n 1)
      ips=$(node_docker "$n" exec "$cid" getent ahostsv4 "tasks.$name" | awk '{ print $1 }' | sort -u)
      reached=""
      for ip in $ips; do
        answer=$(node_docker "$n" exec "$cid" timeout 5 busybox wget -q -O - "http://$ip:8080/" 2>/dev/null || true)
        reached+="${answer##* on } "
      done
      echo "node$n (task $cid) reached by name: ${reached:-nothing}"
      [[ "$(tr ' ' '\n' <<<"$reached" | grep -c '^tp-swarm-[0-9]$')" == 3 ]] || ok=1
    done
    answer=$(node_docker 3 run --rm --network "$name" "$image" timeout 5 busybox wget -q -O - "http://$name:8080/" 2>&1) || ok=1
    echo "a container attached on node3 got: $answer"
  else
    echo "the check's service did not converge:"
    node_docker 1 service ps --no-trunc "$name"
    ok=1
  fi
  node_docker 1 service rm "$name" >/dev/null
  # the network goes once the service's tasks have let go of it
  wait_for 30 node_docker 1 network rm "$name" || ok=1
  return "$ok"
}
