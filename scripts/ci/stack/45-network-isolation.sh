#!/usr/bin/env bash
# Step: the data stores are out of the proxy's and the frontend network's reach; only the proxy (and the
# monitoring UIs) publish ports (sourced by scripts/ci/stack-test.sh).
# Functions run through check "$@" look unreachable to shellcheck:
# shellcheck disable=SC2317
step_network_isolation() {
  say "network isolation"
  local pg_ip rd_ip
  PROXY=$(cid proxy)
  pg_ip=$(ip_on "$(cid postgres)" backend)
  rd_ip=$(ip_on "$(cid redis)" backend)
  echo "postgres $pg_ip, redis $rd_ip (network ${PROJECT}_backend)"
  check "control: a container on the backend network reaches postgres:5432" probe "${PROJECT}_backend" postgres 5432
  check "control: a container on the backend network reaches redis:6379" probe "${PROJECT}_backend" redis 6379
  check "control: the proxy reaches api:4000 (frontend network)" in_proxy_connects api 4000
  check "the proxy (which also serves the SPA) cannot reach postgres:5432 by name" proxy_cannot_reach postgres 5432
  check "the proxy cannot reach redis:6379 by name" proxy_cannot_reach redis 6379
  check "the proxy cannot reach PostgreSQL by address ($pg_ip:5432)" proxy_cannot_reach "$pg_ip" 5432
  check "the proxy cannot reach Redis by address ($rd_ip:6379)" proxy_cannot_reach "$rd_ip" 6379
  check "a container on the frontend network cannot reach PostgreSQL ($pg_ip:5432)" frontend_cannot_reach "$pg_ip" 5432
  check "the backend network is internal (no route out)" \
    test "$("$DOCKER" network inspect -f '{{.Internal}}' "${PROJECT}_backend")" = true
  check "only the proxy publishes ports" bash -c "
    for id in \$(\"$DOCKER\" ps -q --filter label=com.docker.compose.project=$PROJECT); do
      svc=\$(\"$DOCKER\" inspect -f '{{index .Config.Labels \"com.docker.compose.service\"}}' \$id)
      ports=\$(\"$DOCKER\" inspect -f '{{range \$p, \$b := .NetworkSettings.Ports}}{{if \$b}}{{range \$b}}{{.HostIp}}:{{.HostPort}} {{end}}{{end}}{{end}}' \$id)
      case \$svc in proxy|prometheus|grafana) ;; *) [ -z \"\$ports\" ] || { echo \"\$svc publishes \$ports\"; exit 1; } ;; esac
    done"
}

ip_on() { # container network-suffix
  "$DOCKER" inspect -f "{{with index .NetworkSettings.Networks \"${PROJECT}_$2\"}}{{.IPAddress}}{{end}}" "$1"
}
# A throwaway probe from the base image, joined to a network, tries TCP with bash's /dev/tcp.
probe() { # network host port → exit 0 if connected
  "$DOCKER" run --rm --network "$1" "$STANDINS_BASE" \
    timeout 4 bash -c "exec 3<>/dev/tcp/$2/$3" >/dev/null 2>&1
}
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
