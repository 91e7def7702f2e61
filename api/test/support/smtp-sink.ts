// The test SMTP server as a command, for the container stack test (scripts/ci/stack/60-mail.sh): it
// listens where the API containers can reach it (the host's address on the docker bridge) and writes
// each message it accepts to DIR as N.eml (raw) and N.txt (recipients, then the decoded body).
//   bun api/test/support/smtp-sink.ts --host 172.18.0.1 --port 2525 --dir /tmp/mail
// Prints "listening smtp://host:port" once ready; runs until killed.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decodedBody } from "./mail-links.ts";
import { startTestSmtp } from "./smtp.ts";

const { values } = parseArgs({
  options: { host: { type: "string" }, port: { type: "string" }, dir: { type: "string" } },
});
if (!values.host || !values.port || !values.dir) {
  console.error("usage: smtp-sink.ts --host ADDRESS --port PORT --dir DIR");
  process.exit(2);
}
const dir = values.dir;
const smtp = await startTestSmtp({ host: values.host, port: Number(values.port) });
console.log(`listening ${smtp.url}`);
let written = 0;
setInterval(() => {
  for (; written < smtp.received.length; written += 1) {
    const mail = smtp.received[written];
    if (!mail) continue;
    writeFileSync(join(dir, `${written + 1}.eml`), mail.raw);
    writeFileSync(
      join(dir, `${written + 1}.txt`),
      `To: ${mail.envelopeTo.join(", ")}\n\n${decodedBody(mail.raw)}`,
    );
    console.log(`received ${written + 1}: ${mail.envelopeTo.length} recipient(s), ${mail.raw.length} bytes`);
  }
}, 200);
process.on("SIGTERM", () => void smtp.close().then(() => process.exit(0)));
