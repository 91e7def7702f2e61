const which = process.argv[2];
const postgres = (await import(which === "patched" ? "/tmp/h3/pgjs/src/index.js" : "postgres")).default;

import { startPostgres } from "./test/support/services.ts";

process.on("uncaughtException", (e) => {
  console.log("UNCAUGHT", e.message);
});
const pg = await startPostgres();
const sql = postgres(pg.url, { max: 4, connect_timeout: 2, onnotice: () => {} });
await sql`select 1`;
for (let round = 0; round < 2; round++) {
  const inflight = [
    sql
      .begin(async (tx) => {
        await tx`select pg_sleep(3)`;
      })
      .then(
        () => "ok",
        (e) => `begin err ${e.code}`,
      ),
    sql
      .begin(async (tx) => {
        await tx`select 1`;
        await tx`select pg_sleep(3)`;
      })
      .then(
        () => "ok",
        (e) => `begin err ${e.code}`,
      ),
    sql`select pg_sleep(3)`.then(
      () => "ok",
      (e) => `plain err ${e.code}`,
    ),
  ];
  await Bun.sleep(300);
  await pg.down();
  // queries while down
  const down = await Promise.all(
    [1, 2, 3, 4, 5, 6].map(async () => {
      const t = performance.now();
      const r = await sql`select 1`.then(
        () => "ok",
        (e) => e.code,
      );
      return `${r}/${(performance.now() - t).toFixed(0)}`;
    }),
  );
  console.log("inflight", await Promise.all(inflight), "down", down.join(" "));
  await pg.up();
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const r = await Promise.all(
      [1, 2, 3, 4].map(() =>
        sql`select 1`.then(
          () => "ok",
          (e) => e.code,
        ),
      ),
    );
    console.log("after up", r.join(","), (performance.now() - t).toFixed(0));
  }
}
await sql.end({ timeout: 1 });
await pg.stop();
