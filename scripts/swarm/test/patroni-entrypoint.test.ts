// db/patroni/entrypoint.sh renders patroni.yml from the environment and the secret files (the image
// itself is checked by hand with Podman: docs/swarm.md, What is tested). A fake `patroni` on PATH
// keeps the file it is given; the YAML is read back.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../render-stack.ts";

const dir = mkdtempSync(join(tmpdir(), "tp-patroni-entry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "patroni"), `#!/bin/sh\ncp "$1" "${dir}/given.yml"\n`);
chmodSync(join(dir, "patroni"), 0o755);
const superPassword = 'se"cr\\et: #x';
writeFileSync(join(dir, "db_password"), `${superPassword}\n`);
writeFileSync(join(dir, "repl"), "replication-pass\n");
// a fake pgbackrest: the environment its server would run with
writeFileSync(join(dir, "pgbackrest"), `#!/bin/sh\nenv | grep ^PGBACKREST_ | sort > "${dir}/server.env"\n`);
chmodSync(join(dir, "pgbackrest"), 0o755);
for (const cert of ["pgbackrest_ca", "pgbackrest_member_crt", "pgbackrest_member_key"])
  writeFileSync(join(dir, cert), "PEM\n");

function entrypoint(env: Record<string, string>, args: string[] = []) {
  const proc = Bun.spawnSync(["sh", join(repoRoot, "db/patroni/entrypoint.sh"), ...args], {
    env: {
      PATH: `${dir}:/usr/bin:/bin`,
      PATRONI_CONFIG: join(dir, "patroni.yml"),
      POSTGRES_PASSWORD_FILE: join(dir, "db_password"),
      PATRONI_REPLICATION_PASSWORD_FILE: join(dir, "repl"),
      PATRONI_NAME: "pg2",
      PATRONI_ETCD3_HOSTS: "etcd1:2379,etcd2:2379,etcd3:2379",
      POSTGRES_USER: "taskplatform",
      PGDATA: "/var/lib/postgresql/data/pgdata",
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: proc.exitCode, out: proc.stdout.toString() + proc.stderr.toString() };
}

describe("db/patroni/entrypoint.sh", () => {
  test("renders a 0600 patroni.yml: this member, etcd, synchronous mode, passwords from the files", () => {
    expect(entrypoint({})).toMatchObject({ code: 0 });
    expect(statSync(join(dir, "patroni.yml")).mode & 0o777).toBe(0o600);
    type Conf = {
      name: string;
      scope: string;
      etcd3: { hosts: string };
      restapi: { connect_address: string };
      bootstrap: {
        dcs: { synchronous_mode: boolean; ttl: number; loop_wait: number; retry_timeout: number };
      };
      postgresql: {
        connect_address: string;
        data_dir: string;
        authentication: Record<string, { username: string; password: string }>;
        pg_hba: string[];
      };
    };
    const conf = Bun.YAML.parse(readFileSync(join(dir, "given.yml"), "utf8")) as Conf;
    expect(conf).toMatchObject({
      name: "pg2",
      scope: "taskplatform",
      etcd3: { hosts: "etcd1:2379,etcd2:2379,etcd3:2379" },
      restapi: { connect_address: "pg2:8008" },
      bootstrap: { dcs: { synchronous_mode: true, ttl: 15, loop_wait: 5, retry_timeout: 5 } },
      postgresql: { connect_address: "pg2:5432", data_dir: "/var/lib/postgresql/data/pgdata" },
    });
    const { dcs } = conf.bootstrap;
    expect(dcs.loop_wait + 2 * dcs.retry_timeout).toBeLessThanOrEqual(dcs.ttl); // Patroni's rule
    expect(conf.postgresql.authentication.superuser).toEqual({
      username: "taskplatform",
      password: superPassword,
    });
    expect(conf.postgresql.authentication.replication).toEqual({
      username: "replicator",
      password: "replication-pass",
    });
    expect(conf.postgresql.pg_hba).toContain("host replication replicator all scram-sha-256");
    expect(conf.postgresql.pg_hba).not.toContain("host all all all trust");
  });

  test("without a backup repository: no WAL archiving, no pgBackRest server", () => {
    rmSync(join(dir, "server.env"), { force: true });
    expect(entrypoint({})).toMatchObject({ code: 0 });
    const conf = Bun.YAML.parse(readFileSync(join(dir, "given.yml"), "utf8")) as {
      postgresql: { parameters: Record<string, unknown> };
    };
    expect(conf.postgresql.parameters.archive_mode).toBeUndefined();
    expect(statSync(join(dir, "server.env"), { throwIfNoEntry: false })).toBeUndefined();
  });

  test("with BACKUP_REPOSITORY_HOST: archive-push to it over TLS, and this member's pgBackRest server", async () => {
    expect(entrypoint({ BACKUP_REPOSITORY_HOST: "pgbackrest", BACKUP_CERTS_DIR: dir })).toMatchObject({
      code: 0,
    });
    const conf = Bun.YAML.parse(readFileSync(join(dir, "given.yml"), "utf8")) as {
      postgresql: { parameters: Record<string, unknown> };
    };
    expect(conf.postgresql.parameters).toEqual({
      unix_socket_directories: "/run/postgresql",
      archive_mode: "on",
      archive_command: "pgbackrest --stanza=taskplatform archive-push %p",
      archive_timeout: 60,
    });
    // the server runs in the background: wait for its record
    while (!statSync(join(dir, "server.env"), { throwIfNoEntry: false })?.size) await Bun.sleep(20);
    const env = readFileSync(join(dir, "server.env"), "utf8");
    for (const line of [
      "PGBACKREST_REPO1_HOST=pgbackrest",
      "PGBACKREST_REPO1_HOST_TYPE=tls",
      `PGBACKREST_REPO1_HOST_KEY_FILE=${dir}/pgbackrest_member_key`,
      "PGBACKREST_TLS_SERVER_ADDRESS=*",
      `PGBACKREST_TLS_SERVER_CERT_FILE=${dir}/pgbackrest_member_crt`,
      "PGBACKREST_TLS_SERVER_AUTH=repository=taskplatform",
    ])
      expect(env).toContain(`${line}\n`);
    const missing = entrypoint({ BACKUP_REPOSITORY_HOST: "pgbackrest", BACKUP_CERTS_DIR: join(dir, "none") });
    expect(missing.code).toBe(2);
    expect(missing.out).toContain("pgbackrest_ca");
  });

  test("with BACKUP_RESTORE_TO: a new cluster is bootstrapped by a pgBackRest restore to that time (or latest)", () => {
    const repo = { BACKUP_REPOSITORY_HOST: "pgbackrest", BACKUP_CERTS_DIR: dir };
    type Boot = { bootstrap: { method?: string; pgbackrest?: Record<string, unknown> } };
    const read = () => Bun.YAML.parse(readFileSync(join(dir, "given.yml"), "utf8")) as Boot;
    expect(entrypoint({ ...repo, BACKUP_RESTORE_TO: "2026-12-03 17:00:00+01" })).toMatchObject({ code: 0 });
    expect(read().bootstrap).toMatchObject({
      method: "pgbackrest",
      pgbackrest: {
        command:
          'pgbackrest --stanza=taskplatform --type=time "--target=2026-12-03 16:00:00.000000+00" --target-action=promote restore',
        keep_existing_recoveryconf: true,
        no_params: true,
        recovery_conf: {
          restore_command: 'pgbackrest --stanza=taskplatform archive-get %f "%p"',
          recovery_target_time: "2026-12-03 16:00:00.000000+00",
          recovery_target_action: "promote",
          recovery_target_timeline: "latest",
        },
      },
    });
    expect(entrypoint({ ...repo, BACKUP_RESTORE_TO: "latest" })).toMatchObject({ code: 0 });
    expect(read().bootstrap.pgbackrest).toMatchObject({
      command: "pgbackrest --stanza=taskplatform --type=default restore",
      recovery_conf: { recovery_target_timeline: "latest" },
    });
    expect(entrypoint({})).toMatchObject({ code: 0 });
    expect(read().bootstrap.method).toBeUndefined();
    expect(entrypoint({ ...repo, BACKUP_RESTORE_TO: "soon'; evil" })).toMatchObject({ code: 2 });
    expect(entrypoint({ BACKUP_RESTORE_TO: "latest" })).toMatchObject({ code: 2 });
  });

  test("refuses a missing or hostile member name and a missing secret; runs other commands as given", () => {
    expect(entrypoint({ PATRONI_NAME: "" }).code).not.toBe(0);
    expect(entrypoint({ PATRONI_NAME: "pg1\nscope: evil" })).toMatchObject({ code: 2 });
    expect(entrypoint({ POSTGRES_PASSWORD_FILE: join(dir, "missing") }).code).not.toBe(0);
    expect(entrypoint({}, ["echo", "etcd here"])).toEqual({ code: 0, out: "etcd here\n" });
  });
});
