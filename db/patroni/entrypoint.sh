#!/bin/sh
# Renders /tmp/patroni.yml from the environment and the secret files, then runs Patroni as PID 1
# (or, with arguments, runs them: `etcd …` for the etcd services, `patronictl …` for operators).
#
#   PATRONI_NAME            this member's name, also its address on the overlay network (pg1, pg2, pg3)
#   PATRONI_SCOPE           the cluster's name in etcd (default taskplatform)
#   PATRONI_ETCD3_HOSTS     etcd members, host:port,host:port,… (etcd v3 API)
#   POSTGRES_USER           the superuser (as in the single-host stack: the API's role); its password is
#                           POSTGRES_PASSWORD_FILE, the replication role's PATRONI_REPLICATION_PASSWORD_FILE
#   POSTGRES_DB             created after the first initdb (post-bootstrap.sh)
#   PGDATA                  the data directory (a volume)
#   PATRONI_SYNCHRONOUS_MODE  true (default): a commit is acknowledged once a replica has it too
#   PATRONI_TTL, PATRONI_LOOP_WAIT, PATRONI_RETRY_TIMEOUT  failure detection (default 15, 5, 5 s)
#   BACKUP_REPOSITORY_HOST  the pgBackRest repository host (the stack's `pgbackrest` service): turns WAL
#                           archiving on (archive-push over TLS to it) and runs this member's `pgbackrest
#                           server` for the backups it takes; certificates in BACKUP_CERTS_DIR
#                           (default /run/secrets): pgbackrest_ca, pgbackrest_member_crt, pgbackrest_member_key
#   BACKUP_RESTORE_TO       a time ("2026-12-03 17:00:00+00") or latest: a NEW cluster (none in etcd, empty
#                           data directory) is bootstrapped by restoring the repository to it, not by initdb
#                           (docs/runbooks.md, Swarm: point-in-time recovery); ignored once the cluster exists
set -eu

if [ "$#" -gt 0 ]; then
  exec "$@"
fi

: "${PATRONI_NAME:?set PATRONI_NAME (this member, e.g. pg1)}"
: "${PATRONI_ETCD3_HOSTS:?set PATRONI_ETCD3_HOSTS (etcd1:2379,etcd2:2379,etcd3:2379)}"
: "${POSTGRES_USER:?set POSTGRES_USER}"
: "${PGDATA:?set PGDATA}"
case "$PATRONI_NAME" in
  *[!a-z0-9_-]*) echo "PATRONI_NAME must be a lower-case name, got '$PATRONI_NAME'" >&2; exit 2 ;;
esac

superuser_file=${POSTGRES_PASSWORD_FILE:-/run/secrets/db_password}
replication_file=${PATRONI_REPLICATION_PASSWORD_FILE:-/run/secrets/db_replication_password}
for file in "$superuser_file" "$replication_file"; do
  [ -r "$file" ] || { echo "cannot read $file (a Swarm secret of the stack)" >&2; exit 2; }
done

# A secret file's first line as a YAML double-quoted string.
yaml_secret() {
  printf '"%s"' "$(head -n 1 "$1" | sed 's/[\\"]/\\&/g')"
}

# WAL archiving into the one repository all members share (docs/swarm.md, Backups). Empty: archiving off.
archive_parameters=""
if [ -n "${BACKUP_REPOSITORY_HOST:-}" ]; then
  certs=${BACKUP_CERTS_DIR:-/run/secrets}
  for file in pgbackrest_ca pgbackrest_member_crt pgbackrest_member_key; do
    [ -r "$certs/$file" ] || { echo "cannot read $certs/$file (a Swarm secret of the stack)" >&2; exit 2; }
  done
  # the repository over TLS (client) and this member's server for the repository's backups; PostgreSQL
  # inherits them, so archive_command's pgbackrest does too (Patroni passes all but PATRONI_*)
  export PGBACKREST_REPO1_HOST="$BACKUP_REPOSITORY_HOST" PGBACKREST_REPO1_HOST_TYPE=tls \
    PGBACKREST_REPO1_HOST_CA_FILE="$certs/pgbackrest_ca" \
    PGBACKREST_REPO1_HOST_CERT_FILE="$certs/pgbackrest_member_crt" \
    PGBACKREST_REPO1_HOST_KEY_FILE="$certs/pgbackrest_member_key" \
    PGBACKREST_TLS_SERVER_ADDRESS='*' PGBACKREST_TLS_SERVER_CA_FILE="$certs/pgbackrest_ca" \
    PGBACKREST_TLS_SERVER_CERT_FILE="$certs/pgbackrest_member_crt" \
    PGBACKREST_TLS_SERVER_KEY_FILE="$certs/pgbackrest_member_key" \
    PGBACKREST_TLS_SERVER_AUTH="repository=${PGBACKREST_STANZA:-taskplatform}"
  # archive_timeout bounds the RPO as in the single-host stack
  archive_parameters="    archive_mode: \"on\"
    archive_command: pgbackrest --stanza=${PGBACKREST_STANZA:-taskplatform} archive-push %p
    archive_timeout: 60"
  # beside Patroni, which becomes PID 1 and reaps it (and the children it forks per connection)
  pgbackrest server &
fi

# Patroni's custom bootstrap: pgBackRest restores the data directory, Patroni starts it in recovery with
# recovery_conf until PostgreSQL reaches the target and promotes (tested: scripts/test/cluster-backup.suite.ts)
restore_method=""
if [ -n "${BACKUP_RESTORE_TO:-}" ]; then
  [ -n "${BACKUP_REPOSITORY_HOST:-}" ] || { echo "BACKUP_RESTORE_TO needs BACKUP_REPOSITORY_HOST" >&2; exit 2; }
  stanza=${PGBACKREST_STANZA:-taskplatform}
  if [ "$BACKUP_RESTORE_TO" = latest ]; then
    restore_args="--type=default"
    target_line=""
  else
    target=$(date -u -d "$BACKUP_RESTORE_TO" '+%Y-%m-%d %H:%M:%S.%6N+00' 2>/dev/null) ||
      { echo "BACKUP_RESTORE_TO must be latest or a time such as '2026-12-03 17:00:00+00', got '$BACKUP_RESTORE_TO'" >&2; exit 2; }
    restore_args="--type=time \"--target=$target\" --target-action=promote"
    target_line="
        recovery_target_time: \"$target\""
  fi
  restore_method="
  method: pgbackrest
  pgbackrest:
    command: 'pgbackrest --stanza=$stanza $restore_args restore'
    keep_existing_recoveryconf: true
    no_params: true
    recovery_conf:
        restore_command: 'pgbackrest --stanza=$stanza archive-get %f \"%p\"'
        recovery_target_action: promote
        recovery_target_timeline: latest$target_line"
fi

bin_dir=$(dirname "$(command -v postgres 2>/dev/null || echo /usr/lib/postgresql/15/bin/postgres)")
config=${PATRONI_CONFIG:-/tmp/patroni.yml}
umask 077
cat >"$config.tmp" <<YAML
scope: ${PATRONI_SCOPE:-taskplatform}
name: $PATRONI_NAME
log:
  level: ${PATRONI_LOG_LEVEL:-INFO}
restapi:
  listen: 0.0.0.0:8008
  connect_address: $PATRONI_NAME:8008
etcd3:
  hosts: $PATRONI_ETCD3_HOSTS
bootstrap:
  dcs:
    # the leader key lives ttl seconds: a lost primary is replaced ~ttl + loop_wait later (at most 20 s
    # here; Patroni needs loop_wait + 2 * retry_timeout <= ttl). Later changes: patronictl edit-config
    ttl: ${PATRONI_TTL:-15}
    loop_wait: ${PATRONI_LOOP_WAIT:-5}
    retry_timeout: ${PATRONI_RETRY_TIMEOUT:-5}
    maximum_lag_on_failover: 1048576
    # an acknowledged commit is on the primary and on the synchronous standby: losing the primary loses
    # none (with no healthy standby left Patroni turns synchronous replication off rather than block writes)
    synchronous_mode: ${PATRONI_SYNCHRONOUS_MODE:-true}
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        password_encryption: scram-sha-256
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 512MB
  initdb:
    - encoding: UTF8
    - auth-host: scram-sha-256
    - auth-local: trust
  post_bootstrap: /usr/local/bin/patroni-post-bootstrap$restore_method
postgresql:
  listen: 0.0.0.0:5432
  connect_address: $PATRONI_NAME:5432
  data_dir: $PGDATA
  bin_dir: $bin_dir
  pgpass: /tmp/pgpass
  authentication:
    superuser:
      username: $POSTGRES_USER
      password: $(yaml_secret "$superuser_file")
    replication:
      username: replicator
      password: $(yaml_secret "$replication_file")
    rewind:
      username: $POSTGRES_USER
      password: $(yaml_secret "$superuser_file")
  # a new standby copies the primary at once (the default, a spread checkpoint, waits minutes)
  basebackup:
    - checkpoint: fast
  pg_hba:
    - local all all trust
    - host replication replicator all scram-sha-256
    - host all all all scram-sha-256
  parameters:
    unix_socket_directories: /run/postgresql
$archive_parameters
YAML
mv "$config.tmp" "$config"
exec patroni "$config"
