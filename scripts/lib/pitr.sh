#!/usr/bin/env bash
# shellcheck disable=SC2034  # PITR_* are set for and read by the scripts that source this file
# Point-in-time recovery with pgBackRest (sourced after scripts/lib.sh): the backups of scripts/backup.sh and
# systemd/deploy-quadlet.sh backup, and the checks and steps of scripts/restore.sh --to. Every pgBackRest and
# PostgreSQL server command runs through a RUNNER (a function or command prefix): in the compose stack
# `compose exec postgres …` / `compose run postgres …` (the image has pgBackRest and its configuration), on a
# host PostgreSQL the command itself, as the server's OS user. The steps are the same for both.

PITR_STANZA=${PGBACKREST_STANZA:-taskplatform}

# backup_metric KIND: records "a KIND backup succeeded now" for node-exporter's textfile collector
# (taskplatform_backup_last_success_timestamp_seconds{kind="KIND"}), read by the BackupTooOld alert.
# Directory: BACKUP_METRICS_DIR, default <repository>/backups/metrics (compose and Quadlet mount it).
backup_metric() {
  local kind=$1 dir=${BACKUP_METRICS_DIR:-$TP_ROOT/backups/metrics} file tmp
  # readable by node-exporter's user (pg_backup's umask 077 is still in force)
  if ! { mkdir -p "$dir" && chmod 0755 "$dir"; }; then
    warn "cannot write backup metrics to $dir"
    return 0
  fi
  file="$dir/taskplatform_backup_$kind.prom"
  tmp="$file.$$"
  # written aside and renamed: the collector never reads a half-written file
  {
    printf '# HELP taskplatform_backup_last_success_timestamp_seconds Unix time of the last successful backup.\n'
    printf '# TYPE taskplatform_backup_last_success_timestamp_seconds gauge\n'
    printf 'taskplatform_backup_last_success_timestamp_seconds{kind="%s"} %s\n' "$kind" "$(date +%s)"
  } >"$tmp" || true
  if ! { chmod 0644 "$tmp" && mv "$tmp" "$file"; }; then
    rm -f "$tmp"
    warn "cannot write $file"
  fi
}

# pitr_backup RUNNER TYPE: a pgBackRest backup (TYPE full|diff|auto; auto = full on BACKUP_FULL_WEEKDAY,
# 1-7 = Monday-Sunday, default 7, else diff). Creates the stanza first when it is missing (idempotent) and
# checks that WAL archiving works. pgBackRest turns a diff without a prior full into a full, and expires old
# backups and WAL by its retention (repo1-retention-full in db/pgbackrest.conf).
pitr_backup() {
  local runner=$1 type=$2
  if [[ "$type" == auto ]]; then
    type="diff"
    [[ "$(date -u +%u)" == "${BACKUP_FULL_WEEKDAY:-7}" ]] && type="full"
  fi
  [[ "$type" =~ ^(full|diff)$ ]] || die "backup type must be full, diff or auto, got '$type'"
  log "backup: pgBackRest $type backup of stanza '$PITR_STANZA'"
  "$runner" pgbackrest --stanza="$PITR_STANZA" stanza-create </dev/null >&2 ||
    die "pgBackRest stanza-create failed (is the repository mounted and archive_command set?)"
  "$runner" pgbackrest --stanza="$PITR_STANZA" check </dev/null >&2 ||
    die "pgBackRest check failed: WAL archiving does not work; no backup taken"
  "$runner" pgbackrest --stanza="$PITR_STANZA" --type="$type" backup </dev/null >&2 ||
    die "pgBackRest $type backup failed"
  backup_metric pgbackrest
  log "backup: pgBackRest $type backup done"
}

# pitr_target TO: validates a --to value and sets PITR_TARGET (latest, or the time as "YYYY-mm-dd HH:MM:SS.ffffff+00")
# and PITR_TARGET_EPOCH (seconds; now for latest). Refuses a time in the future.
pitr_target() {
  local to=$1 now
  now=$(date +%s)
  if [[ "$to" == latest ]]; then
    PITR_TARGET=latest
    PITR_TARGET_EPOCH=$now
    return 0
  fi
  PITR_TARGET_EPOCH=$(date -d "$to" +%s 2>/dev/null) ||
    die "REFUSED: --to '$to' is neither 'latest' nor a time such as '2026-12-03 17:00:00+00'; nothing was changed"
  PITR_TARGET=$(date -u -d "$to" '+%Y-%m-%d %H:%M:%S.%6N+00')
  ((PITR_TARGET_EPOCH <= now)) ||
    die "REFUSED: --to $PITR_TARGET is in the future (now: $(date -u '+%Y-%m-%d %H:%M:%S+00')); nothing was changed"
}

# pitr_verify RUNNER: the repository answers, its stanza is healthy, and a backup ended at or before the
# target (a point before the oldest backup cannot be reached). Sets PITR_BACKUP (that backup's label).
pitr_verify() {
  local runner=$1 info code
  command -v jq >/dev/null || die "jq not found (apt-get install jq): needed to read pgBackRest's info"
  info=$("$runner" pgbackrest --stanza="$PITR_STANZA" --output=json info </dev/null) ||
    die "REFUSED: the pgBackRest repository is not reachable (pgbackrest info failed); nothing was changed"
  code=$(jq -r '.[0].status.code // 99' <<<"$info")
  [[ "$code" == 0 ]] ||
    die "REFUSED: pgBackRest stanza '$PITR_STANZA': $(jq -r '.[0].status.message // "unknown"' <<<"$info"); nothing was changed"
  PITR_BACKUP=$(jq -r --argjson t "$PITR_TARGET_EPOCH" \
    '[.[0].backup[] | select(.timestamp.stop <= $t)] | last | .label // empty' <<<"$info")
  [[ -n "$PITR_BACKUP" ]] ||
    die "REFUSED: no backup ended before $PITR_TARGET (oldest: $(jq -r '.[0].backup[0].timestamp.stop // empty | todate' <<<"$info")); nothing was changed"
  log "verified: repository ok, backup $PITR_BACKUP covers $PITR_TARGET"
}

# pitr_flush_wal RUNNER PSQL...: with the server still up, commits one transaction (recovery to a time stops
# at the first commit after it, so one must exist) and lets pgBackRest check switch and archive the current
# WAL segment: the restore then loses nothing committed before it started.
pitr_flush_wal() {
  local runner=$1
  shift
  "$@" -X -q -c 'SELECT txid_current()' </dev/null >/dev/null ||
    die "REFUSED: cannot run a query on the running server; nothing was changed"
  "$runner" pgbackrest --stanza="$PITR_STANZA" check </dev/null >&2 ||
    die "REFUSED: WAL archiving does not work right now (pgbackrest check failed); nothing was changed. If the data volume was lost and PostgreSQL started an empty new cluster, stop it first (docker compose stop postgres) and run the restore again"
}

# pitr_restore RUNNER PGDATA: pgBackRest restore into PGDATA (server stopped), --delta (only changed files
# are rewritten; an empty or missing PGDATA is fine). Recovery ends with a promotion to a new timeline.
pitr_restore() {
  local runner=$1 pgdata=$2 args=(--delta)
  if [[ "$PITR_TARGET" == latest ]]; then
    args+=(--type=default) # replay all archived WAL, then promote
  else
    args+=(--type=time "--target=$PITR_TARGET" --target-action=promote)
  fi
  "$runner" mkdir -p -m 0700 "$pgdata" </dev/null
  log "restoring $PITR_TARGET from backup set $PITR_BACKUP (pgbackrest ${args[*]})"
  "$runner" pgbackrest --stanza="$PITR_STANZA" "${args[@]}" restore </dev/null >&2 ||
    die "pgBackRest restore FAILED; the data directory is incomplete: fix the cause and run the restore again"
}

# pitr_promoted PSQL...: true once recovery ended (the server accepts writes); for wait_until.
pitr_promoted() {
  [[ "$("$@" -X -At -c 'SELECT pg_is_in_recovery()' </dev/null 2>/dev/null || true)" == f ]]
}
