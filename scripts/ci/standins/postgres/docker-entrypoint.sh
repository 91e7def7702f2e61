#!/usr/bin/env bash
# Stand-in for the official postgres image's entrypoint (the parts TaskPlatform relies on).
set -Eeo pipefail

file_env() {
  local var=$1 def=${2:-}
  local fvar="${var}_FILE"
  if [[ -n "${!var:-}" && -n "${!fvar:-}" ]]; then
    echo >&2 "error: both $var and $fvar are set (but are exclusive)"
    exit 1
  fi
  local val=$def
  if [[ -n "${!var:-}" ]]; then
    val=${!var}
  elif [[ -n "${!fvar:-}" ]]; then
    val=$(<"${!fvar}")
  fi
  export "$var"="$val"
  unset "$fvar"
}

if [[ "${1:0:1}" == '-' ]]; then
  set -- postgres "$@"
fi

if [[ "$1" == 'postgres' ]]; then
  if [[ $(id -u) == '0' ]]; then
    mkdir -p "$PGDATA"
    chown postgres "$PGDATA" || true
    chmod 700 "$PGDATA" || true
    mkdir -p /var/run/postgresql && chown postgres /var/run/postgresql && chmod 3777 /var/run/postgresql
    exec gosu postgres "${BASH_SOURCE[0]}" "$@"
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA" 2>/dev/null || true
  if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    file_env POSTGRES_INITDB_ARGS
    auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
    if [[ -z "$POSTGRES_PASSWORD" && "$auth" != trust ]]; then
      echo >&2 "Error: Database is uninitialized and superuser password is not specified."
      echo >&2 "       You must specify POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value."
      exit 1
    fi
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
      $POSTGRES_INITDB_ARGS >/dev/null
    printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
    printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
    PGUSER=$POSTGRES_USER PGPASSWORD=$POSTGRES_PASSWORD \
      pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start >/dev/null
    export PGPASSWORD=$POSTGRES_PASSWORD
    psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
    if [[ "$POSTGRES_DB" != postgres ]]; then
      "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >/dev/null
    fi
    psql+=(--dbname "$POSTGRES_DB")
    for f in /docker-entrypoint-initdb.d/*; do
      [[ -e "$f" ]] || continue
      case "$f" in
        *.sh)
          if [[ -x "$f" ]]; then echo "$0: running $f"; "$f"; else echo "$0: sourcing $f"; # shellcheck disable=SC1090
            . "$f"; fi ;;
        *.sql) echo "$0: running $f"; "${psql[@]}" -f "$f" ;;
        *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | "${psql[@]}" ;;
        *) echo "$0: ignoring $f" ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    unset PGPASSWORD
    echo 'PostgreSQL init process complete; ready for start up.'
  fi
fi
exec "$@"
