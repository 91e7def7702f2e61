#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh: a pg_dump archive (FILE) or, with --to, a point in time from the
# pgBackRest repository (WAL archiving; see scripts/lib/pitr.sh).
# FILE: checks everything before touching the database: the
# .sha256 checksum, that the file is a readable pg_dump archive (pg_restore --list) and that it is a
# TaskPlatform database (has schema_migrations). The restore itself is ONE transaction: the public schema
# is replaced and the archive loaded with ON_ERROR_STOP, so any failure rolls back to the current data.
# Then the attachment files are replaced by FILE's attachments archive (FILE minus .dump plus
# .attachments.tar), checked before anything is touched like the database archive.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib/pitr.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/pitr.sh"
# shellcheck source-path=SCRIPTDIR source=lib/wait-healthy.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/wait-healthy.sh"
# shellcheck source-path=SCRIPTDIR source=lib/attachments-backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/attachments-backup.sh"

usage() {
  cat <<USAGE
Usage: scripts/restore.sh [options] FILE
       scripts/restore.sh [options] --to TIME|latest

FILE is a pg_dump archive of scripts/backup.sh. --to restores the database as it was at TIME (e.g.
"2026-12-03 17:00:00+00"; any form \`date -d\` reads, without a zone it is local time) or at the newest
archived WAL (latest) from the pgBackRest repository. Before anything is changed it checks that the
repository answers, that a backup ended before TIME, and that TIME is not in the future; with the server
up it also archives the current WAL first, so nothing committed before the restore is lost. --to needs
jq on this host (it reads pgBackRest's JSON).

Options:
  --to TIME|latest   point-in-time recovery with pgBackRest instead of a FILE
  --yes              do not ask for confirmation (required when stdin is not a terminal)
  --skip-checksum    restore a file that has no FILE.sha256 (the archive checks still run)
  --local            use local pg_restore/psql instead of the stack's postgres container
  --dbname CONN      with --local: connection string or name (default: PG* environment variables)
  --keep-api         (stack) do not stop the api service during the restore
  --keep-cache       (stack) do not flush Redis (cache and sessions) after the restore
  --attachments DIR  with --local: the attachments directory to replace (default: ATTACHMENTS_DIR)
  --pgdata DIR       with --local --to: the server's data directory (default: PGDATA); the server is
                     stopped and started with pg_ctl
  --os-user USER     with --local --to: run pgbackrest and pg_ctl as USER (default: the owner of DIR)
  -h, --help         this help

In the stack the api replicas are stopped during the restore and started again afterwards, and Redis is
flushed, so no cached data or session from before the restore survives it.
USAGE
}

load_env
mode=container
dbname=""
yes=0
skip_checksum=0
keep_api=0
keep_cache=0
file=""
to=""
pgdata=${PGDATA:-}
os_user=""
attachments=${ATTACHMENTS_DIR:-}
while (($#)); do
  case "$1" in
    --yes | -y) yes=1; shift ;;
    --skip-checksum) skip_checksum=1; shift ;;
    --local) mode=local; shift ;;
    --dbname) dbname=${2:?--dbname needs a value}; shift 2 ;;
    --keep-api) keep_api=1; shift ;;
    --keep-cache) keep_cache=1; shift ;;
    --to) to=${2:?--to needs a time or latest}; shift 2 ;;
    --attachments) attachments=${2:?--attachments needs a directory}; shift 2 ;;
    --pgdata) pgdata=${2:?--pgdata needs a directory}; shift 2 ;;
    --os-user) os_user=${2:?--os-user needs a user}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option: $1" ;;
    *) [[ -z "$file" ]] || die "only one FILE"; file=$1; shift ;;
  esac
done

stopped_api=0
restart_api() {
  if ((stopped_api)); then
    log "starting api again"
    compose start api >/dev/null || warn "could not start api: run ./scripts/deploy.sh"
    # the api may come back on new addresses: an nginx that resolves `api` only at load must reload
    reload_proxy || true
  fi
}
stop_api() {
  if [[ "$mode" == container && $keep_api -eq 0 ]]; then
    log "stopping api during the restore"
    compose stop api >/dev/null || die "could not stop api"
    stopped_api=1
    trap restart_api EXIT
  fi
}
flush_cache() {
  if [[ "$mode" == container && $keep_cache -eq 0 ]]; then
    if redis_ctr=$(service_containers redis | head -n 1) && [[ -n "$redis_ctr" ]]; then
      # shellcheck disable=SC2016  # expanded inside the container
      if "$ENGINE" exec "$redis_ctr" sh -c 'REDISCLI_AUTH="$(cat /run/secrets/redis_password)" redis-cli FLUSHALL' >/dev/null; then
        log "flushed Redis (cache, sessions)"
      else
        warn "could not flush Redis"
      fi
    fi
  fi
}
confirm() {
  if ((!yes)); then
    [[ -t 0 ]] || die "not a terminal: pass --yes to confirm replacing the data in $target"
    read -r -p "Replace ALL data in $target with $1? [y/N] " answer
    [[ "$answer" == [yY]* ]] || die "aborted"
  fi
}
# every container of the stack healthy (or running without a healthcheck, or a finished one-off job)
stack_healthy() {
  local _name state
  while read -r _name state; do
    [[ "$state" =~ ^(healthy|running|completed)$ ]] || return 1
  done < <(container_states)
}

# Point-in-time recovery. Every server-side step runs through db_up (server running: exec into it) or
# db_down (server stopped: a one-off container on the same volumes), locally both are the command itself
# (as the server's OS user): the same pitr_* steps drive the stack and a host PostgreSQL.
# shellcheck disable=SC2317  # db_down, db_log: called by name (pitr_* runners) or on failure
restore_pitr() {
  local started=$SECONDS up=0 psql_db as_db=()
  pitr_target "$to"
  if [[ "$mode" == local ]]; then
    [[ -n "$pgdata" ]] || die "--local --to needs --pgdata DIR (or PGDATA)"
    os_user=${os_user:-$(stat -c %U "$pgdata" 2>/dev/null || true)}
    [[ -n "$os_user" ]] || die "$pgdata is missing: say which OS user runs PostgreSQL with --os-user"
    [[ "$(id -un)" == "$os_user" ]] || as_db=(runuser -u "$os_user" --)
    conn=()
    [[ -n "$dbname" ]] && conn=(-d "$dbname")
    target=${dbname:-${PGDATABASE:-the local server}}
    db_up() { "${as_db[@]}" "$@"; }
    db_down() { "${as_db[@]}" "$@"; }
    psql_db=(psql "${conn[@]}")
    pg_isready -q "${conn[@]}" && up=1
    stop_db() { db_up pg_ctl -D "$pgdata" -m fast -w stop >&2; }
    start_db() { db_up pg_ctl -D "$pgdata" -w -t 3600 -l "$pgdata/pitr-startup.log" start >&2; }
    db_log() { tail -n 20 "$pgdata/pitr-startup.log" 2>/dev/null || true; }
    data_dir=$pgdata
  else
    require_engine
    ctr=$(service_containers postgres | head -n 1)
    target="$POSTGRES_DB (project $(project_name))"
    db_up() { "$ENGINE" exec -i "$ctr" "$@"; }
    db_down() { compose run --rm --no-deps -T postgres "$@"; }
    psql_db=(db_up psql -U "${POSTGRES_USER:?set POSTGRES_USER in .env}" -d "${POSTGRES_DB:?set POSTGRES_DB in .env}")
    [[ -n "$ctr" ]] && db_up pg_isready -q -h 127.0.0.1 </dev/null && up=1
    stop_db() { compose stop postgres >/dev/null; }
    start_db() { compose start postgres >/dev/null; }
    db_log() { "$ENGINE" logs --tail 20 "$ctr" 2>&1 || true; }
    data_dir=/var/lib/postgresql/data/pgdata # PGDATA of the postgres service, pg1-path in db/pgbackrest.conf
  fi

  if ((up)); then
    pitr_verify db_up
    pitr_flush_wal db_up "${psql_db[@]}"
  else
    pitr_verify db_down
    warn "the server is down: WAL it had not archived yet cannot be restored"
  fi
  confirm "its state at $PITR_TARGET"

  stop_api
  if ((up)); then
    log "stopping PostgreSQL"
    stop_db || die "could not stop PostgreSQL; nothing was changed"
  fi
  pitr_restore db_down "$data_dir"
  log "starting PostgreSQL: recovery replays the archived WAL up to $PITR_TARGET"
  if [[ "$mode" == container ]]; then
    start_db || die "could not start PostgreSQL after the restore"
    ctr=$(service_containers postgres | head -n 1)
  elif ! start_db; then
    db_log >&2
    die "PostgreSQL did not start after the restore (log above)"
  fi
  if ! wait_until "${PITR_RECOVERY_TIMEOUT:-3600}" 1 pitr_promoted "${psql_db[@]}"; then
    db_log >&2
    die "recovery did not finish (log above); a time after the last archived WAL cannot be reached: try --to latest"
  fi
  log "recovery done: the database is at $PITR_TARGET and accepts writes"
  flush_cache
  if [[ "$mode" == container ]]; then
    restart_api
    stopped_api=0
    wait_until 300 2 stack_healthy || die "the stack is not healthy after the restore: ./scripts/deploy.sh status"
    log "stack healthy"
  fi
  log "restore complete: $PITR_TARGET in $((SECONDS - started)) s"
}

if [[ -n "$to" ]]; then
  [[ -z "$file" ]] || die "give either FILE or --to, not both"
  restore_pitr
  exit 0
fi

[[ -n "$file" ]] || { usage >&2; die "FILE or --to is required"; }
[[ -f "$file" && -r "$file" ]] || die "cannot read $file"

# 1. checksum
sum_file="$file.sha256"
if [[ -f "$sum_file" ]]; then
  expected=$(awk 'NR == 1 { print $1 }' "$sum_file")
  actual=$(sha256sum "$file" | awk '{ print $1 }')
  [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "REFUSED: $sum_file is not a sha256 checksum file"
  [[ "$expected" == "$actual" ]] ||
    die "REFUSED: checksum mismatch for $file (expected $expected, got $actual): the file is corrupt or truncated; nothing was changed"
  log "checksum ok"
elif ((skip_checksum)); then
  warn "no $sum_file; --skip-checksum given, relying on the archive checks"
else
  die "REFUSED: no checksum file $sum_file (backup.sh writes one; use --skip-checksum for a file you trust); nothing was changed"
fi

if [[ "$mode" == local ]]; then
  if ! command -v pg_restore >/dev/null || ! command -v psql >/dev/null; then
    die "pg_restore/psql not found (apt-get install postgresql-client)"
  fi
  conn=()
  [[ -n "$dbname" ]] && conn=(-d "$dbname")
  target=${dbname:-${PGDATABASE:-default PG* database}}
  run_pg() { "$@"; }
else
  require_engine
  ctr=$(one_container postgres)
  conn=(-U "${POSTGRES_USER:?set POSTGRES_USER in .env}" -d "${POSTGRES_DB:?set POSTGRES_DB in .env}")
  target="$POSTGRES_DB in container $ctr"
  run_pg() { "$ENGINE" exec -i "$ctr" "$@"; }
fi

# 2. a readable custom-format archive, 3. of a TaskPlatform database
toc=$(run_pg pg_restore --list <"$file" 2>&1) ||
  die "REFUSED: $file is not a readable pg_dump archive (pg_restore --list: ${toc##*$'\n'}); nothing was changed"
grep -Eq 'TABLE [a-z_]+ schema_migrations ' <<<"$toc" ||
  die "REFUSED: $file is a PostgreSQL archive but not of a TaskPlatform database (no schema_migrations table); nothing was changed"
tables=$(grep -Ec ' TABLE DATA ' <<<"$toc" || true)
log "archive ok: $tables tables with data"

# 4. the attachment files' archive, when there is one and somewhere to put it
files_tar=$(attachments_tar_of "$file")
restore_files=0
if [[ ! -f "$files_tar" ]]; then
  warn "no $files_tar: the attachment files are left as they are"
elif [[ "$mode" == local && -z "$attachments" ]]; then
  warn "$files_tar found but no --attachments DIR (or ATTACHMENTS_DIR): the attachment files are left as they are"
else
  attachments_check "$files_tar"
  restore_files=1
  log "attachments archive ok"
fi

confirm "$file"
stop_api

# 5. one transaction: drop and recreate the public schema, load the archive. COMMIT is sent only when
# pg_restore read the whole archive; a SQL error stops psql (ON_ERROR_STOP). Either way: rollback.
log "restoring into $target"
if ! {
  printf 'SET client_min_messages = warning;\nBEGIN;\nDROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n'
  run_pg pg_restore --no-owner --no-privileges -f - <"$file" && printf 'COMMIT;\n'
} | run_pg psql -X -q -v ON_ERROR_STOP=1 "${conn[@]}" -f - >/dev/null; then
  die "restore FAILED and was rolled back: the database still holds the data it had before"
fi

# 6. the files, once the database is back (the api is still stopped in the stack)
if ((restore_files)); then
  attachments_restore "$files_tar" "$mode" "$attachments"
fi

flush_cache
log "restore complete from $file"
