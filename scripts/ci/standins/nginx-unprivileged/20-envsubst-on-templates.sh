#!/bin/sh
# Stand-in for the nginx image's template step: /etc/nginx/templates/*.template → conf.d (if writable).
set -e
dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
out=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
[ -d "$dir" ] || exit 0
ls "$dir"/*"$suffix" >/dev/null 2>&1 || exit 0
if [ ! -w "$out" ]; then
  echo "$0: ERROR: $dir exists, but $out is not writable" >&2
  exit 0
fi
vars=$(env | cut -d= -f1 | sed 's/^/$/' | tr '\n' ' ')
for t in "$dir"/*"$suffix"; do
  name=$(basename "$t" "$suffix")
  envsubst "$vars" <"$t" >"$out/$name"
done
