#!/bin/sh
# copy-with-libs.sh DEST FILE... — copies each FILE and the shared libraries ldd lists for it into
# DEST, keeping absolute paths (used to build scratch-like stand-ins, as distroless/alpine are).
set -eu
dest=$1
shift
# merged /usr, as on bookworm
mkdir -p "$dest/usr/lib" "$dest/usr/lib64" "$dest/usr/bin" "$dest/usr/sbin"
for d in lib lib64 bin sbin; do [ -e "$dest/$d" ] || ln -s "usr/$d" "$dest/$d"; done
for f in "$@"; do
  mkdir -p "$dest$(dirname "$f")"
  cp -a "$f" "$dest$f"
  real=$(readlink -f "$f")
  [ "$real" = "$f" ] || { mkdir -p "$dest$(dirname "$real")"; cp -a "$real" "$dest$real"; }
  for lib in $(ldd "$real" 2>/dev/null | awk '/=>/ {print $3} /^\t\// {print $1}'); do
    [ -e "$lib" ] || continue
    # /lib is a symlink to usr/lib on bookworm: store the library under its real path
    reallib=$(readlink -f "$lib")
    mkdir -p "$dest$(dirname "$reallib")"
    cp -a "$reallib" "$dest$reallib"
    base=$(basename "$lib")
    dir=$(readlink -f "$(dirname "$lib")")
    [ -e "$dest$dir/$base" ] || [ -L "$dest$dir/$base" ] || ln -s "$reallib" "$dest$dir/$base"
  done
done
