#!/usr/bin/env bash
# pg_dump -Fc of the TaskPlatform database into backups/ with a timestamp and a .sha256 file, and a tar of
# the attachment files beside it (scripts/lib/attachments-backup.sh); keeps the newest N archives. Runs
# pg_dump inside the compose stack's postgres container (podman or docker), or a local pg_dump with
# --local. Then a pgBackRest backup (full or differential) for point-in-time recovery:
# in the stack always (the postgres image archives its WAL with pgBackRest), locally with --pitr.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib/pg-backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/pg-backup.sh"
# shellcheck source-path=SCRIPTDIR source=lib/pitr.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/pitr.sh"
# shellcheck source-path=SCRIPTDIR source=lib/attachments-backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/attachments-backup.sh"

usage() {
  cat <<USAGE
Usage: scripts/backup.sh [options]

Writes <dir>/taskplatform-<db>-<UTC timestamp>.dump (pg_dump custom format) and <file>.sha256,
checks the archive with pg_restore --list, then writes the attachment files beside it as
<same name>.attachments.tar (+ .sha256), then deletes all but the newest <keep> archives. Then a
pgBackRest backup of stanza PGBACKREST_STANZA (default taskplatform): a full one on BACKUP_FULL_WEEKDAY
(1-7 = Monday-Sunday, default 7) or when none exists, else a differential one; pgBackRest expires old
backups and WAL by its retention. Each success writes a textfile-collector metric to BACKUP_METRICS_DIR.

Options:
  --dir DIR        backup directory (default: BACKUP_DIR from .env, else ./backups)
  --keep N         archives to keep (default: BACKUP_RETENTION from .env, else 7; 0 keeps all)
  --local          use the local pg_dump instead of the stack's postgres container
  --dbname CONN    with --local: connection string or name (default: PG* environment variables)
  --attachments DIR  with --local: the attachments directory (default: ATTACHMENTS_DIR; without
                   either, the database only)
  --pitr           with --local: also the pgBackRest backup (a local pgbackrest configured for the server)
  --os-user USER   with --local --pitr: run pgbackrest as USER (the server's OS user)
  --no-pitr        (stack) only the pg_dump archive
  --type TYPE      pgBackRest backup type: full, diff or auto (default: auto, see above)
  --pitr-only      only the pgBackRest backup (no pg_dump archive)
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
pitr=""
pitr_type=auto
dump=1
os_user=""
attachments=${ATTACHMENTS_DIR:-}
while (($#)); do
  case "$1" in
    --dir) dir=${2:?--dir needs a directory}; shift 2 ;;
    --keep) keep=${2:?--keep needs a number}; shift 2 ;;
    --local) mode=local; shift ;;
    --dbname) dbname=${2:?--dbname needs a value}; shift 2 ;;
    --attachments) attachments=${2:?--attachments needs a directory}; shift 2 ;;
    --pitr) pitr=1; shift ;;
    --no-pitr) pitr=0; shift ;;
    --pitr-only) pitr=1; dump=0; shift ;;
    --type) pitr_type=${2:?--type needs full, diff or auto}; shift 2 ;;
    --os-user) os_user=${2:?--os-user needs a user}; shift 2 ;;
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
  pitr=${pitr:-0}
  as_db=()
  [[ -z "$os_user" || "$(id -un)" == "$os_user" ]] || as_db=(runuser -u "$os_user" --)
  run_db() { "${as_db[@]}" "$@"; }
else
  require_engine
  ctr=$(one_container postgres)
  conn=(-U "${POSTGRES_USER:?set POSTGRES_USER in .env}" -d "${POSTGRES_DB:?set POSTGRES_DB in .env}")
  db_label=$POSTGRES_DB
  run_pg() { "$ENGINE" exec -i "$ctr" "$@"; }
  pitr=${pitr:-1}
  run_db() { run_pg "$@"; }
fi
if ((dump)); then
  pg_backup "$dir" "$keep" "$db_label" "$mode" run_pg "${conn[@]}"
  if [[ "$mode" == container || -n "$attachments" ]]; then
    attachments_backup "$PG_BACKUP_FILE" "$mode" "$attachments"
  else
    warn "no --attachments DIR (or ATTACHMENTS_DIR): the attachment files are not in this backup"
  fi
  attachments_prune "$dir"
  backup_metric pg_dump
fi
if ((pitr)); then pitr_backup run_db "$pitr_type"; fi
if ((dump)); then printf '%s\n' "$PG_BACKUP_FILE"; fi
