#!/bin/sh
# One app task: answers "<task> on <node>" on port 8080 (TASK and NODE come from Swarm templates).
set -eu
mkdir -p /www
printf '%s on %s\n' "${TASK:-$(hostname)}" "${NODE:-unknown}" >/www/index.html
exec busybox httpd -f -p 8080 -h /www
