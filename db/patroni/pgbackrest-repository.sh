#!/bin/sh
# The repository host of the three-node stack (the `pgbackrest` service, docs/swarm.md, Backups): serves
# the repository over TLS (`pgbackrest server`) and creates the stanza once the cluster's primary answers
# (the members' archive-push fails until it exists; stanza-create is idempotent, so a restart repeats it
# harmlessly). Its settings: db/pgbackrest.conf + db/patroni/pgbackrest-repository.conf.
set -eu
stanza=${PGBACKREST_STANZA:-taskplatform}
(
  until pgbackrest --stanza="$stanza" --log-level-console=warn stanza-create; do
    echo "stanza $stanza: waiting for the cluster's primary (retrying in 15 s)" >&2
    sleep 15
  done
  echo "stanza $stanza: ready; the members' WAL is archived here" >&2
) &
exec pgbackrest server
