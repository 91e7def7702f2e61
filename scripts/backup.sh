#!/usr/bin/env bash
# pg_dump -Fc of the TaskPlatform database into backups/ with a timestamp and a .sha256 file, and a tar of
# the attachment files beside it (scripts/lib/attachments-backup.sh); keeps the newest N archives. Runs pg_dump inside the compose stack's postgres container (podman or docker), or a
# local pg_dump with --local.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib/pg-backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/pg-backup.sh"
# shellcheck source-path=SCRIPTDIR source=lib/attachments-backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/attachments-backup.sh"

usage() {
  cat <<USAGE
Usage: scripts/backup.sh [options]

Writes <dir>/taskplatform-<db>-<UTC timestamp>.dump (pg_dump custom format) and <file>.sha256,
checks the archive with pg_restore --list, then writes the attachment files beside it as
<same name>.attachments.tar (+ .sha256), then deletes all but the newest <keep> archives.

Options:
  --dir DIR        backup directory (default: BACKUP_DIR from .env, else ./backups)
  --keep N         archives to keep (default: BACKUP_RETENTION from .env, else 7; 0 keeps all)
  --local          use the local pg_dump instead of the stack's postgres container
  --dbname CONN    with --local: connection string or name (default: PG* environment variables)
  --attachments DIR  with --local: the attachments directory (default: ATTACHMENTS_DIR; without
                   either, the database only)
  -h, --help       this help

Examples:
  scripts/backup.sh                                   # stack running under podman or docker
  scripts/backup.sh --local --dbname postgres://taskplatform@db.internal/taskplatform
  0 3 * * * cd /opt/taskplatform && scripts/backup.sh  # nightly (crontab)
USAGE
}

load_env
dir=${BACKUP_DIR:-$TP_ROOT/backups}
keep=${BACKUP_RETENTION:-7}
mode=container
dbname=""
attachments=${ATTACHMENTS_DIR:-}
while (($#)); do
  case "$1" in
    --dir) dir=${2:?--dir needs a directory}; shift 2 ;;
    --keep) keep=${2:?--keep needs a number}; shift 2 ;;
    --local) mode=local; shift ;;
    --dbname) dbname=${2:?--dbname needs a value}; shift 2 ;;
    --attachments) attachments=${2:?--attachments needs a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
[[ "$keep" =~ ^[0-9]+$ ]] || die "--keep must be a number"
[[ "$dir" == /* ]] || dir="$TP_ROOT/${dir#./}"

# run_pg TOOL ARGS…: a PostgreSQL client tool, locally or in the postgres container; stdin/stdout pass through.
if [[ "$mode" == local ]]; then
  command -v pg_dump >/dev/null || die "pg_dump not found (apt-get install postgresql-client)"
  conn=()
  [[ -n "$dbname" ]] && conn=(-d "$dbname")
  db_label=${dbname:-${PGDATABASE:-${PGUSER:-${USER:-db}}}}
  db_label=${db_label##*/}
  db_label=${db_label%%\?*}
  run_pg() { "$@"; }
else
  require_engine
  ctr=$(one_container postgres)
  conn=(-U "${POSTGRES_USER:?set POSTGRES_USER in .env}" -d "${POSTGRES_DB:?set POSTGRES_DB in .env}")
  db_label=$POSTGRES_DB
  run_pg() { "$ENGINE" exec -i "$ctr" "$@"; }
fi
pg_backup "$dir" "$keep" "$db_label" "$mode" run_pg "${conn[@]}"
if [[ "$mode" == container || -n "$attachments" ]]; then
  attachments_backup "$PG_BACKUP_FILE" "$mode" "$attachments"
else
  warn "no --attachments DIR (or ATTACHMENTS_DIR): the attachment files are not in this backup"
fi
attachments_prune "$dir"
printf '%s\n' "$PG_BACKUP_FILE"
