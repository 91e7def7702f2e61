#!/usr/bin/env bash
# The daemons of one swarm node, run by lib-nodes.sh's node_start in the node's network namespace
# and its own mount and UTS namespaces. Usage: node-daemons.sh N CGROUP
# Joins the node's cgroup first (so a power cut can kill all of it, containers included), takes the
# hostname tp-swarm-N (Swarm's node name), starts the node's own containerd (dockerd would otherwise use a
# system containerd at /run/containerd/containerd.sock when one runs, shared by all nodes) and becomes
# that node's dockerd.
set -euo pipefail

n=$1
cgroup=$2
echo $$ >"$cgroup/daemon/cgroup.procs"
hostname "tp-swarm-$n"

run=/run/tp-swarm/n$n
data=/var/lib/tp-swarm/node$n
mkdir -p "$run" "$data"
rm -f "$run/containerd.sock"
cat >"$run/containerd.toml" <<EOF
version = 2
root = "$data/containerd"
state = "$run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$run/containerd.sock"
[ttrpc]
  address = "$run/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$data/containerd-opt"
EOF
containerd --config "$run/containerd.toml" --log-level warn &
for ((i = 0; i < 60; i++)); do
  [[ -S "$run/containerd.sock" ]] && break
  sleep 0.5
done

# An empty daemon.json: /etc/docker/daemon.json belongs to the default daemon. The insecure registry:
# the private-registry alternative to docker save | load, served on the host's bridge address over plain
# HTTP (docs/swarm.md).
echo '{}' >"$run/daemon.json"
driver=overlay2
grep -qw overlay /proc/filesystems || driver=vfs
exec dockerd --config-file "$run/daemon.json" \
  --data-root "$data/docker" --exec-root "$run/docker" --pidfile "$run/dockerd.pid" \
  -H "unix:///run/tp-swarm/node$n.sock" --containerd "$run/containerd.sock" \
  --storage-driver "$driver" --exec-opt native.cgroupdriver=cgroupfs \
  --cgroup-parent "/tp-swarm/node$n/containers" --log-level warn \
  --insecure-registry 10.77.0.1:5000
