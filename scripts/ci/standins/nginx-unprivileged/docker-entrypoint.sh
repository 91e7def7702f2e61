#!/bin/sh
# Stand-in for the nginx image's entrypoint: runs /docker-entrypoint.d/*.sh before nginx.
set -e
if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
  for f in /docker-entrypoint.d/*.sh; do
    [ -e "$f" ] || continue
    if [ -x "$f" ]; then
      echo "$0: Launching $f" >&2
      "$f"
    fi
  done
  echo "$0: Configuration complete; ready for start up" >&2
fi
exec "$@"
