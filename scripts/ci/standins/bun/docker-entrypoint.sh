#!/bin/sh
# Stand-in for oven/bun's entrypoint: flags go to bun, anything else runs as given.
set -e
if [ "${1#-}" != "$1" ]; then
  set -- /usr/local/bin/bun "$@"
fi
exec "$@"
