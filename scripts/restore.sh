#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh. Checks everything before touching the database: the
# .sha256 checksum, that the file is a readable pg_dump archive (pg_restore --list) and that it is a
# TaskPlatform database (has schema_migrations). The restore itself is ONE transaction: the public schema
# is replaced and the archive loaded with ON_ERROR_STOP, so any failure rolls back to the current data.
# Then the attachment files are replaced by FILE's attachments archive (FILE minus .dump plus
# .attachments.tar), checked before anything is touched like the database archive.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib/attachments-backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/attachments-backup.sh"

usage() {
  cat <<USAGE
Usage: scripts/restore.sh [options] FILE

Options:
  --yes              do not ask for confirmation (required when stdin is not a terminal)
  --skip-checksum    restore a file that has no FILE.sha256 (the archive checks still run)
  --local            use local pg_restore/psql instead of the stack's postgres container
  --dbname CONN      with --local: connection string or name (default: PG* environment variables)
  --attachments DIR  with --local: the attachments directory to replace (default: ATTACHMENTS_DIR)
  --keep-api         (stack) do not stop the api service during the restore
  --keep-cache       (stack) do not flush Redis (cache and sessions) after the restore
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
attachments=${ATTACHMENTS_DIR:-}
while (($#)); do
  case "$1" in
    --yes | -y) yes=1; shift ;;
    --skip-checksum) skip_checksum=1; shift ;;
    --local) mode=local; shift ;;
    --dbname) dbname=${2:?--dbname needs a value}; shift 2 ;;
    --attachments) attachments=${2:?--attachments needs a directory}; shift 2 ;;
    --keep-api) keep_api=1; shift ;;
    --keep-cache) keep_cache=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option: $1" ;;
    *) [[ -z "$file" ]] || die "only one FILE"; file=$1; shift ;;
  esac
done
[[ -n "$file" ]] || { usage >&2; die "FILE is required"; }
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

if ((!yes)); then
  [[ -t 0 ]] || die "not a terminal: pass --yes to confirm replacing the data in $target"
  read -r -p "Replace ALL data in $target with $file? [y/N] " answer
  [[ "$answer" == [yY]* ]] || die "aborted"
fi

stopped_api=0
restart_api() {
  if ((stopped_api)); then
    log "starting api again"
    compose start api >/dev/null || warn "could not start api: run ./scripts/deploy.sh"
    # the api may come back on new addresses: an nginx that resolves `api` only at load must reload
    reload_proxy || true
  fi
}
if [[ "$mode" == container && $keep_api -eq 0 ]]; then
  log "stopping api during the restore"
  compose stop api >/dev/null || die "could not stop api"
  stopped_api=1
  trap restart_api EXIT
fi

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
log "restore complete from $file"
