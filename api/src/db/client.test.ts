import { expect, test } from "bun:test";
import { createSql, hostCount, isDatabaseUnavailable, parseTimestamp } from "./client.ts";

test("parseTimestamp reads PostgreSQL's timestamp text exactly, years below 100 included", () => {
  const iso = (text: string) => parseTimestamp(text).toISOString();
  expect(iso("0099-06-01 00:00:00+00")).toBe("0099-06-01T00:00:00.000Z");
  expect(iso("0001-01-01 12:00:00.123456+00")).toBe("0001-01-01T12:00:00.123Z");
  expect(iso("2024-03-01 10:00:00+05:30")).toBe("2024-03-01T04:30:00.000Z");
  expect(iso("2024-03-01 10:00:00-02")).toBe("2024-03-01T12:00:00.000Z");
  expect(parseTimestamp("infinity").getTime()).toBeNaN();
});

test("hostCount counts the hosts of a multi-host URL (credentials and query aside)", () => {
  expect(hostCount("postgres://app:p,w@db:5432/tasks")).toBe(1);
  expect(hostCount("postgres://app@pg1:5432,pg2:5432,pg3/tasks?target_session_attrs=primary")).toBe(3);
  expect(hostCount("postgresql://pg1,pg2")).toBe(2);
});

test("a write refused as read-only (a demoted primary during a failover) is unavailability, not a bug", () => {
  expect(isDatabaseUnavailable({ code: "25006" })).toBe(true);
  expect(isDatabaseUnavailable({ code: "23505" })).toBe(false);
});

test("several hosts that all refuse: the query fails at once (patches/postgres@3.4.9.patch), it does not wait forever", async () => {
  // Ports 1 and 2 on loopback: nothing listens, the kernel refuses at once.
  const sql = createSql({
    url: "postgres://app@127.0.0.1:1,127.0.0.1:2/tasks?target_session_attrs=primary",
    max: 1,
  });
  const started = performance.now();
  const outcome = await Promise.race([
    sql`SELECT 1`.then(
      () => "answered",
      (error: { code?: string }) => error.code,
    ),
    Bun.sleep(3000).then(() => "still waiting"),
  ]);
  expect(outcome).toBe("ECONNREFUSED");
  expect(performance.now() - started).toBeLessThan(1000);
  await sql.end({ timeout: 0 });
});
