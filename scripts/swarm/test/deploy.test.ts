// scripts/swarm/deploy.sh and secrets.sh without an engine: a fake `docker` on PATH records every call
// and keeps node labels and secrets as files. Needs bun and bash.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../render-stack.ts";

const TIMEOUT = 60_000; // bash, bun and forks on a busy shared machine

// node ls: three nodes whose hostnames sort c < a < b differently from their ids; node inspect/update
// read and write labels/<id>/<key>; secret inspect/create use secrets/<name> (holding the sha256 label);
// service ls prints FAKE_REPLICAS (default 2/2); load records the DOCKER_HOST it was given.
const FAKE_DOCKER = `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$FAKE_DIR/calls"
case "$1 $2" in
  "info --format") echo "\${FAKE_SWARM_STATE:-active true}" ;;
  "node ls") printf 'node-c id3\\nnode-a id1\\nnode-b id2\\n' ;;
  "node inspect") key=$(sed 's/.*"\\(.*\\)".*/\\1/' <<<"$4"); cat "$FAKE_DIR/labels/$5/$key" 2>/dev/null || true ;;
  "node update") kv=$4; mkdir -p "$FAKE_DIR/labels/$5"; printf '%s' "\${kv#*=}" >"$FAKE_DIR/labels/$5/\${kv%%=*}" ;;
  "secret inspect") [[ -f "$FAKE_DIR/secrets/$5" ]] || exit 1; cat "$FAKE_DIR/secrets/$5" ;;
  "secret create") sum=\${6#org.taskplatform.sha256=}; printf '%s' "$sum" >"$FAKE_DIR/secrets/$7" ;;
  "service ls") echo "taskplatform_api \${FAKE_REPLICAS:-2/2}"; echo "taskplatform_proxy 3/3" ;;
  "load -q") cat >/dev/null; echo "load into $DOCKER_HOST" >>"$FAKE_DIR/calls" ;;
  "save localhost/taskplatform-db:latest") echo "image archive" ;;
esac
exit 0
`;

const root = mkdtempSync(join(tmpdir(), "tp-swarm-deploy-"));
let work = "";
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  work = mkdtempSync(join(root, "run-"));
  for (const d of ["bin", "labels", "secrets", "files/tls", "files/pgbackrest"])
    mkdirSync(join(work, d), { recursive: true });
  writeFileSync(join(work, "bin/docker"), FAKE_DOCKER);
  chmodSync(join(work, "bin/docker"), 0o755);
  copyFileSync(join(repoRoot, ".env.example"), join(work, ".env"));
  for (const f of [
    "db_password",
    "redis_password",
    "jwt_secret",
    "smtp_url",
    "grafana_admin_password",
    "tls/server.crt",
    "tls/server.key",
    ...["ca.crt", "member.crt", "member.key", "repository.crt", "repository.key"].map(
      (f) => `pgbackrest/${f}`,
    ),
  ])
    writeFileSync(join(work, "files", f), `value of ${f}\n`);
});

function deploy(args: string[] = ["--no-build"], env: Record<string, string> = {}) {
  const proc = Bun.spawnSync(["bash", join(repoRoot, "scripts/swarm/deploy.sh"), ...args], {
    env: {
      PATH: `${join(work, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      FAKE_DIR: work,
      TP_ENV_FILE: join(work, ".env"),
      TP_SECRETS_DIR: join(work, "files"),
      SWARM_RENDER_DIR: join(work, "rendered"),
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const calls = existsSync(join(work, "calls")) ? readFileSync(join(work, "calls"), "utf8").split("\n") : [];
  return { code: proc.exitCode, out: proc.stdout.toString() + proc.stderr.toString(), calls };
}
const label = (id: string, key: string) => readFileSync(join(work, "labels", id, key), "utf8");

describe("scripts/swarm/deploy.sh", () => {
  test(
    "a new swarm: labels in hostname order, secrets from secrets/, render, deploy, wait",
    () => {
      const r = deploy();
      expect(r).toMatchObject({ code: 0 });
      // hostnames node-a (id1) < node-b (id2) < node-c (id3)
      for (const [id, i] of [
        ["id1", "1"],
        ["id2", "2"],
        ["id3", "3"],
      ] as const) {
        expect(label(id, "tp.pg")).toBe(i);
        expect(label(id, "tp.redis")).toBe(i);
      }
      expect(label("id1", "tp.monitoring")).toBe("true");
      expect(existsSync(join(work, "labels/id2/tp.monitoring"))).toBe(false);
      // thirteen secrets (five of them pgBackRest certificates and keys), the replication password
      // generated next to the others (0600)
      const replication = join(work, "files/db_replication_password");
      expect(readFileSync(replication, "utf8")).toMatch(/^[0-9a-f]{64}$/);
      expect(r.calls.filter((c) => c.startsWith("secret create")).length).toBe(13);
      expect(existsSync(join(work, "secrets/taskplatform_db_replication_password"))).toBe(true);
      expect(r.calls.some((c) => c.startsWith("build"))).toBe(false);
      const stackDeploy = r.calls.find((c) => c.startsWith("stack deploy")) ?? "";
      expect(stackDeploy).toBe(
        `stack deploy --prune --resolve-image never -c ${join(work, "rendered/stack.yml")} taskplatform`,
      );
      expect(readFileSync(join(work, "rendered/stack.yml"), "utf8")).toContain("tasks.api:4000");
      expect(r.out).toContain("every service runs all its tasks");
      expect(r.out).toContain("must already have the localhost/taskplatform-* images");
    },
    TIMEOUT,
  );

  test(
    "a second run keeps labels and secrets; a changed secret file is reported, not replaced",
    () => {
      expect(deploy()).toMatchObject({ code: 0 });
      writeFileSync(join(work, "calls"), "");
      writeFileSync(join(work, "files/jwt_secret"), "rotated\n");
      const r = deploy();
      expect(r).toMatchObject({ code: 0 });
      expect(r.calls.filter((c) => c.startsWith("node update") || c.startsWith("secret create"))).toEqual([]);
      expect(r.out).toContain("taskplatform_jwt_secret exists but");
      expect(r.out).toContain("Rotate a secret");
    },
    TIMEOUT,
  );

  test(
    "refuses a start-first-blocking replica count, a non-manager, and reports services that do not converge",
    () => {
      const many = deploy(["--no-build"], { SWARM_API_REPLICAS: "3" });
      expect(many.code).toBe(1);
      expect(many.out).toContain("at most nodes - 1");
      const worker = deploy(["--no-build"], { FAKE_SWARM_STATE: "active false" });
      expect(worker.code).toBe(1);
      expect(worker.out).toContain("not a swarm manager");
      const stuck = deploy(["--no-build"], { FAKE_REPLICAS: "1/2", DEPLOY_TIMEOUT: "0" });
      expect(stuck.code).toBe(1);
      expect(stuck.out).toContain("taskplatform_api 1/2");
      expect(deploy(["--bogus"]).code).toBe(2);
    },
    TIMEOUT,
  );

  test(
    "images: built, then pushed to SWARM_REGISTRY (stack names them there) or loaded into SWARM_LOAD_HOSTS",
    () => {
      const pushed = deploy([], { SWARM_REGISTRY: "node1:5000" });
      expect(pushed).toMatchObject({ code: 0 });
      expect(pushed.calls.filter((c) => c.startsWith("build")).length).toBe(4);
      expect(pushed.calls).toContain("push -q node1:5000/taskplatform-db-ha:latest");
      expect(pushed.calls.find((c) => c.startsWith("stack deploy"))).toContain(
        "--resolve-image always --with-registry-auth",
      );
      expect(readFileSync(join(work, "rendered/stack.yml"), "utf8")).toContain(
        "image: node1:5000/taskplatform-api:latest",
      );
      writeFileSync(join(work, "calls"), "");
      const loaded = deploy(["--no-build"], { SWARM_LOAD_HOSTS: "ssh://root@node2 ssh://root@node3" });
      expect(loaded).toMatchObject({ code: 0 });
      expect(loaded.calls).toContain(
        "save localhost/taskplatform-db:latest localhost/taskplatform-db-ha:latest localhost/taskplatform-api:latest localhost/taskplatform-proxy:latest",
      );
      expect(loaded.calls.filter((c) => c.startsWith("load into"))).toEqual([
        "load into ssh://root@node2",
        "load into ssh://root@node3",
      ]);
    },
    TIMEOUT,
  );
});
