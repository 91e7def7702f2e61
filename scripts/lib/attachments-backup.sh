#!/usr/bin/env bash
# The attachment files of scripts/backup.sh and scripts/restore.sh, sourced after scripts/lib.sh. Beside
# each database archive NAME.dump goes NAME.attachments.tar (+ .sha256): a tar of the attachments
# directory (the `attachments` volume). The database is dumped first, then the files, so every row in
# the dump has its file unless it was deleted in between (then its file is being removed anyway);
# files uploaded after the dump are in the tar without a row, which nothing reads.

ATTACHMENTS_IMAGE=docker.io/library/postgres:15.14-bookworm
ATTACHMENTS_MOUNT=/var/lib/taskplatform/attachments

# attachments_tar_of DUMP: the attachments archive that goes with a database archive.
attachments_tar_of() { printf '%s\n' "${1%.dump}.attachments.tar"; }

# attachments_backup DUMP MODE DIR: writes DUMP's attachments archive and its .sha256. MODE local reads
# DIR; MODE container reads the stack's volume through the proxy (which mounts it read-only).
attachments_backup() {
  local dump=$1 mode=$2 src=$3 tar partial ctr
  tar=$(attachments_tar_of "$dump")
  partial="$(dirname "$tar")/.$(basename "$tar").partial"
  if [[ "$mode" == local ]]; then
    [[ -d "$src" ]] || die "attachments directory $src does not exist (--attachments DIR)"
    tar -C "$src" -cf "$partial" . || { rm -f "$partial"; die "could not archive $src; the database archive $dump was kept"; }
  else
    ctr=$(one_container proxy)
    "$ENGINE" exec "$ctr" tar -C "$ATTACHMENTS_MOUNT" -cf - . </dev/null >"$partial" ||
      { rm -f "$partial"; die "could not archive the attachments volume; the database archive $dump was kept"; }
  fi
  mv "$partial" "$tar"
  (cd "$(dirname "$tar")" && sha256sum "$(basename "$tar")" >"$(basename "$tar").sha256")
  log "backup: wrote $tar ($(tar -tf "$tar" | grep -vc '/$' || true) files) and its .sha256"
}

# attachments_prune DIR: removes attachment archives whose database archive was rotated away.
attachments_prune() {
  local dir=$1 tar
  while IFS= read -r tar; do
    [[ -f "${tar%.attachments.tar}.dump" ]] || { rm -f "$tar" "$tar.sha256"; log "backup: removed old $(basename "$tar")"; }
  done < <(find "$dir" -maxdepth 1 -type f -name 'taskplatform-*.attachments.tar')
}

# attachments_check TAR: dies unless TAR matches its .sha256 and lists only relative paths inside it.
attachments_check() {
  local tar=$1 expected actual
  [[ -f "$tar.sha256" ]] || die "REFUSED: no checksum file $tar.sha256; nothing was changed"
  expected=$(awk 'NR == 1 { print $1 }' "$tar.sha256")
  actual=$(sha256sum "$tar" | awk '{ print $1 }')
  [[ "$expected" == "$actual" ]] || die "REFUSED: checksum mismatch for $tar: the file is corrupt or truncated; nothing was changed"
  local listing
  listing=$(tar -tf "$tar") || die "REFUSED: $tar is not a readable tar archive; nothing was changed"
  if grep -Eq '^/|(^|/)\.\.(/|$)' <<<"$listing"; then
    die "REFUSED: $tar has absolute paths or '..' in it; nothing was changed"
  fi
}

# attachments_restore TAR MODE DIR: replaces the attachment files with TAR's. MODE local writes DIR;
# MODE container writes the stack's volume from a throwaway container (the api is stopped meanwhile).
attachments_restore() {
  local tar=$1 mode=$2 dest=$3
  if [[ "$mode" == local ]]; then
    [[ -n "$dest" && "$(cd "$dest" 2>/dev/null && pwd -P)" != / ]] || die "refusing to replace the files of '$dest'"
    mkdir -p "$dest"
    find "$dest" -mindepth 1 -delete
    tar -C "$dest" -xf "$tar" --no-same-owner || die "restoring the attachment files into $dest FAILED (the database was restored)"
  else
    "$ENGINE" run --rm -i --user 65532:65532 -v "$(project_name)_attachments:/data" "$ATTACHMENTS_IMAGE" \
      sh -c 'find /data -mindepth 1 -delete && tar -C /data -xf - --no-same-owner' <"$tar" ||
      die "restoring the attachment files into the volume FAILED (the database was restored)"
  fi
  log "restored the attachment files from $tar"
}
