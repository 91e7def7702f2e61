#!/usr/bin/env bash
# shellcheck disable=SC2034  # PG_BACKUP_FILE is read by the scripts that source this file
# The database backup of scripts/backup.sh (compose) and systemd/deploy-quadlet.sh backup (Quadlet), sourced
# after scripts/lib.sh: one archive format, name, checksum and rotation, so archives move freely between the
# two deployments (and scripts/restore.sh reads both).

# pg_backup DIR KEEP LABEL WHERE RUNNER [CONNECTION...]
# Writes DIR/taskplatform-LABEL-<UTC timestamp>.dump (pg_dump -Fc) and <file>.sha256, checks that the archive
# reads back (pg_restore --list), then deletes all but the newest KEEP archives (0 keeps all). RUNNER runs a
# PostgreSQL client tool (a function or command: RUNNER pg_dump ARGS…, stdin/stdout passed through);
# CONNECTION are pg_dump's connection arguments; WHERE says where it runs, for the log.
# Sets PG_BACKUP_FILE to the new archive.
pg_backup() {
  local dir=$1 keep=$2 label=$3 where=$4 runner=$5
  shift 5
  local stamp name size old archives=()
  label=$(printf '%s' "$label" | tr -c 'A-Za-z0-9_-' '_')
  umask 077
  mkdir -p "$dir"
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  name="taskplatform-$label-$stamp.dump"
  PG_BACKUP_PARTIAL="$dir/.$name.partial"
  trap 'rm -f "$PG_BACKUP_PARTIAL"' EXIT
  log "backup: pg_dump of '$label' ($where) -> $dir/$name"
  "$runner" pg_dump -Fc --no-owner --no-privileges "$@" </dev/null >"$PG_BACKUP_PARTIAL" ||
    die "pg_dump failed; no backup written"
  [[ -s "$PG_BACKUP_PARTIAL" ]] || die "pg_dump produced an empty file"
  "$runner" pg_restore --list <"$PG_BACKUP_PARTIAL" >/dev/null ||
    die "the new archive does not read back (pg_restore --list); not kept"
  mv "$PG_BACKUP_PARTIAL" "$dir/$name"
  (cd "$dir" && sha256sum "$name" >"$name.sha256")
  size=$(wc -c <"$dir/$name" | tr -d ' ')
  log "backup: wrote $dir/$name ($size bytes) and $name.sha256"
  if ((keep > 0)); then
    mapfile -t archives < <(find "$dir" -maxdepth 1 -type f -name 'taskplatform-*.dump' -printf '%f\n' | sort -r)
    for old in "${archives[@]:keep}"; do
      rm -f "$dir/$old" "$dir/$old.sha256"
      log "backup: removed old $old (keeping $keep)"
    done
  fi
  PG_BACKUP_FILE="$dir/$name"
}
