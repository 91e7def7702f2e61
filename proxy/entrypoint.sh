#!/bin/sh
# Renders /tmp/nginx/runtime.conf (the only part of the nginx configuration that differs between
# nginx versions and deployments), then runs nginx in the foreground as PID 1.
#
#   API_UPSTREAM        space-separated host:port list of the API (default "api:4000"); rendered again
#                       with the replicas' addresses by scripts/upgrade.sh while it switches replicas;
#                       tasks.api:4000 in the Swarm stack (deploy/swarm/overlay.yaml)
#   PUBLIC_HTTPS_PORT   the published HTTPS port, for the HTTP→HTTPS redirect (default 443)
#   PROXY_API_RATE      requests per second one client address may make to /api/ (default 50; burst 100)
#   PUBLIC_HOSTNAME     the name the HTTP→HTTPS redirect points to (default localhost); a request for
#                       localhost, 127.0.0.1 or [::1] keeps its own name, any other Host gets this one
#   TP_RUNTIME_DIR      where to render (default /tmp/nginx; nginx.conf includes $TP_RUNTIME_DIR/runtime.conf)
#   TP_RENDER_ONLY=1    render and exit (used by the tests); TP_RESOLV_CONF, NGINX_BIN: test hooks
#
# nginx >= 1.27.3 re-resolves upstream host names (`server api:4000 resolve;`), so `--scale api=N`
# and restarted replicas with new addresses are picked up without a reload. Older nginx resolves the
# name once at start (all replicas' addresses): reload the proxy after scaling (scripts/deploy.sh does).
# Swarm's tasks.<service> (one address per task, which changes when a task moves to another node) in an
# older nginx: the addresses it resolves to now, looked up again every 5 s, nginx reloaded when they
# change (TP_TASKS_POLL seconds; no virtual IP needed, which kernels without IPVS cannot give).
set -eu

runtime_dir=${TP_RUNTIME_DIR:-/tmp/nginx}
upstream=${API_UPSTREAM:-api:4000}
https_port=${PUBLIC_HTTPS_PORT:-443}
api_rate=${PROXY_API_RATE:-50}
nginx_bin=${NGINX_BIN:-nginx}

case "$https_port" in
  '' | *[!0-9]*) echo "PUBLIC_HTTPS_PORT must be a port number, got '$https_port'" >&2; exit 2 ;;
esac
case "$api_rate" in
  '' | 0 | *[!0-9]*) echo "PROXY_API_RATE must be a positive number of requests per second, got '$api_rate'" >&2; exit 2 ;;
esac
suffix=""
[ "$https_port" = 443 ] || suffix=":$https_port"

# The redirect target: never the client's Host header (an open redirect to any name it likes).
public_host=$(printf '%s' "${PUBLIC_HOSTNAME:-localhost}" | tr '[:upper:]' '[:lower:]')
case "$public_host" in
  '' | *[!a-z0-9.:-]*) echo "PUBLIC_HOSTNAME must be a host name or IP address, got '${PUBLIC_HOSTNAME:-}'" >&2; exit 2 ;;
  *:*) public_host="[$public_host]" ;;
esac

# nginx -v prints "nginx version: nginx/1.28.0" on stderr.
version=$("$nginx_bin" -v 2>&1 | sed -n 's|.*nginx/\([0-9][0-9.]*\).*|\1|p')
major=$(echo "$version" | cut -d. -f1)
minor=$(echo "$version" | cut -d. -f2)
patch=$(echo "$version" | cut -d. -f3)
resolve=no
if [ "${major:-0}" -gt 1 ] || { [ "${major:-0}" -eq 1 ] && { [ "${minor:-0}" -gt 27 ] || { [ "${minor:-0}" -eq 27 ] && [ "${patch:-0}" -ge 3 ]; }; }; }; then
  resolve=yes
fi

# The container engine's DNS server (Docker: 127.0.0.11; Podman: the network's gateway).
resolvers=""
resolv_conf=${TP_RESOLV_CONF:-/etc/resolv.conf}
if [ -r "$resolv_conf" ]; then
  resolvers=$(awk '/^nameserver/ { n = $2; if (n ~ /:/) n = "[" n "]"; printf " %s", n }' "$resolv_conf")
fi
[ -n "$resolvers" ] || resolve=no

# The IPv4 addresses NAME resolves to, sorted; nothing when it does not (yet): Swarm's DNS names a task
# once it is healthy. getent where there is one, else busybox's nslookup (the Alpine image).
addresses() {
  if command -v getent >/dev/null 2>&1; then
    getent ahostsv4 "$1" | awk '{ print $1 }'
  else
    nslookup "$1" 2>/dev/null | awk '/^Name:/ { n = 1 } n && /^Address/ { print $NF }'
  fi | grep -E '^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$' | sort -u || true
}

# True for an IPv4 address:port.
is_address() {
  case "$1" in
    [0-9]*.[0-9]*.[0-9]*.[0-9]*:*) return 0 ;;
    *) return 1 ;;
  esac
}

mkdir -p "$runtime_dir"
# render FILE: the runtime configuration into FILE.
render() {
{
  echo "# rendered by taskplatform-proxy-entrypoint for nginx $version (re-resolve: $resolve)"
  if [ "$resolve" = yes ]; then
    echo "resolver$resolvers valid=10s ipv6=off;"
    echo "resolver_timeout 5s;"
  fi
  echo "limit_req_zone \$binary_remote_addr zone=tp_api:10m rate=${api_rate}r/s;"
  echo "upstream taskplatform_api {"
  echo "    zone taskplatform_api 64k;"
  for server in $upstream; do
    case "$server" in
      *[!A-Za-z0-9.:_-]*) echo "invalid API_UPSTREAM entry '$server'" >&2; exit 2 ;;
    esac
    # Swarm's tasks.<service> in an nginx that resolves once: today's addresses (watched below); a
    # placeholder marked down while there is none (nginx answers 502 instead of refusing to start).
    if [ "$resolve" = no ] && [ "${server#tasks.}" != "$server" ]; then
      found=$(addresses "${server%:*}")
      [ -n "$found" ] || echo "    server 127.0.0.1:${server##*:} down;"
      for address in $found; do
        echo "    server $address:${server##*:} max_fails=3 fail_timeout=10s;"
      done
      continue
    fi
    # An address needs no resolving (scripts/upgrade.sh lists the replicas it switches to by address).
    if [ "$resolve" = yes ] && ! is_address "$server"; then
      echo "    server $server max_fails=3 fail_timeout=10s resolve;"
    else
      echo "    server $server max_fails=3 fail_timeout=10s;"
    fi
  done
  # Idle upstream connections close well before the API's idle timeout (Bun.serve idleTimeout, 75 s;
  # Bun's default is 10 s) could close them under us. proxy/test checks the two against each other.
  echo "    keepalive 32;"
  echo "    keepalive_timeout 5s;"
  echo "    keepalive_requests 1000;"
  echo "}"
  echo "map \$host \$tp_https_port_suffix {"
  echo "    default \"$suffix\";"
  echo "}"
  echo "map \$host \$tp_redirect_host {"
  echo "    default \"$public_host\";"
  for name in localhost 127.0.0.1 '[::1]'; do
    [ "$name" = "$public_host" ] || echo "    \"$name\" \$host;"
  done
  echo "}"
} > "$1.tmp"
mv "$1.tmp" "$1"
}
render "$runtime_dir/runtime.conf"

# An older nginx behind tasks.<service>: re-rendered every TP_TASKS_POLL seconds, reloaded on a change.
watch_tasks() {
  while sleep "${TP_TASKS_POLL:-5}"; do
    render "$runtime_dir/runtime.conf.next" || continue
    cmp -s "$runtime_dir/runtime.conf.next" "$runtime_dir/runtime.conf" && continue
    mv "$runtime_dir/runtime.conf.next" "$runtime_dir/runtime.conf"
    echo "the tasks behind $upstream changed: reloading nginx" >&2
    "$nginx_bin" -s reload || true
  done
}

if [ "${TP_RENDER_ONLY:-0}" = 1 ]; then
  exit 0
fi
if [ "$#" -eq 0 ]; then
  set -- "$nginx_bin" -g "daemon off;"
fi
case " $upstream" in
  *" tasks."*) [ "$resolve" = yes ] || watch_tasks & ;;
esac
exec "$@"
