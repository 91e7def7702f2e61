#!/usr/bin/env bash
# Container engine helpers for CI (sourced, not run). Starts Debian's dockerd by hand when no daemon
# answers (these machines have no systemd), reusing one that already runs. Exists for CI only.
# Usage: source scripts/ci/lib-engine.sh; engine_ensure   → sets DOCKER (client command) or exits 1.

# Debian's client (20.10) talks to Debian's daemon without needing the buildx plugin that newer
# clients require for BuildKit; prefer it over any other docker on PATH.
engine_client() {
  if [[ -x /usr/bin/docker ]]; then
    echo /usr/bin/docker
  elif command -v docker >/dev/null 2>&1; then
    command -v docker
  fi
}

engine_log() { printf 'engine: %s\n' "$*" >&2; }

# Installs docker.io, docker-compose and debootstrap when missing (CI normally did it from
# .ci/apt-packages already).
engine_install() {
  local missing=() pkg
  for pkg in docker.io docker-compose debootstrap iptables; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) -ne 0 ]]; then
    engine_log "missing packages ${missing[*]} and not root: install them first"
    return 1
  fi
  engine_log "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

engine_answers() {
  local client
  client=$(engine_client)
  [[ -n "$client" ]] && timeout 10 "$client" info >/dev/null 2>&1
}

# Starts dockerd in the background: overlay2 (falls back to vfs when overlay is not available),
# cgroupfs (no systemd), logs to ENGINE_LOG. Waits up to 60 s for the socket.
engine_start() {
  local log=${ENGINE_LOG:-/var/log/taskplatform-dockerd.log} driver=overlay2
  if ! grep -qw overlay /proc/filesystems && ! modprobe overlay 2>/dev/null; then
    driver=vfs
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    engine_log "dockerd not installed"
    return 1
  fi
  if [[ $(id -u) -ne 0 ]]; then
    engine_log "no docker daemon answers and starting one needs root"
    return 1
  fi
  # A bind mount of the engine's socket made while no engine ran (docker run -v, or a node of the swarm
  # harness, which shares this file system) leaves an empty directory where dockerd must create it.
  if [[ -d /var/run/docker.sock ]] && rmdir /var/run/docker.sock 2>/dev/null; then
    engine_log "removed the empty directory /var/run/docker.sock (a bind mount's leftover)"
  fi
  engine_log "starting dockerd (storage $driver, cgroupfs), log $log"
  mkdir -p "$(dirname "$log")"
  # setsid + nohup: the daemon outlives this shell (CI reuses it for the whole run)
  setsid nohup dockerd --storage-driver="$driver" --exec-opt native.cgroupdriver=cgroupfs \
    --log-level=warn >>"$log" 2>&1 </dev/null &
  local pid=$! i
  for ((i = 0; i < 120; i++)); do
    if engine_answers; then
      engine_log "dockerd ready (pid $pid) after $((i / 2)) s"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      engine_log "dockerd exited; last lines of $log:"
      tail -n 20 "$log" >&2
      return 1
    fi
    sleep 0.5
  done
  engine_log "dockerd did not answer within 60 s; last lines of $log:"
  tail -n 20 "$log" >&2
  return 1
}

# Makes sure an engine runs; sets DOCKER. Podman alone is refused with a reason (see docs/stack-test.md).
engine_ensure() {
  if ! engine_answers; then
    engine_install || return 1
    engine_start || return 1
  else
    engine_log "reusing the running docker daemon"
  fi
  DOCKER=$(engine_client)
  export DOCKER
}
