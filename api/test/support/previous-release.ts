// The previous release as source, for running it against today's schema (api/test/compat.suite.ts).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REPO_ROOT = join(import.meta.dir, "../../..");

function git(args: string[]): { ok: boolean; out: string } {
  const result = Bun.spawnSync(["git", ...args], { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
  return { ok: result.exitCode === 0, out: `${result.stdout}${result.stderr}`.trim() };
}

/** The newest v* tag reachable from HEAD, else the commit named in .ci/previous-release. */
export function previousReleaseRef(): string {
  const tag = git(["describe", "--tags", "--abbrev=0", "--match", "v*", "HEAD"]);
  if (tag.ok) return tag.out;
  const named = readFileSync(join(REPO_ROOT, ".ci/previous-release"), "utf8")
    .split("\n")
    .find((line) => line.trim() !== "" && !line.startsWith("#"));
  if (!named) throw new Error(".ci/previous-release names no commit");
  return named.trim();
}

/** `ref`'s tree in a fresh directory with its dependencies installed; returns the directory. */
export function checkOutRelease(ref: string): string {
  const exists = git(["cat-file", "-e", `${ref}^{commit}`]);
  if (!exists.ok)
    throw new Error(`previous release ${ref} is not in this clone (a shallow clone?): ${exists.out}`);
  const dir = mkdtempSync(join(tmpdir(), "tp-previous-"));
  const archive = Bun.spawnSync(["bash", "-c", `git archive "$0" | tar -x -C "$1"`, ref, dir], {
    cwd: REPO_ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (archive.exitCode !== 0) throw new Error(`git archive ${ref} failed: ${archive.stderr}`);
  const install = Bun.spawnSync(["bun", "install", "--frozen-lockfile"], {
    cwd: dir,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (install.exitCode !== 0) throw new Error(`bun install of ${ref} failed: ${install.stderr}`);
  return dir;
}
