// The mailer of a machine without SMTP_URL (`bun run dev`): each message becomes an .eml file under
// DATA_DIR/mail (open it in any mail client), and in development its link is printed to the console,
// so sign-up-to-reminder flows work on a fresh checkout. `serve` without SMTP_URL writes the files but
// never prints links (they may carry tokens).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { lazyTransport } from "./lazy-transport.ts";
import { type Mailer, messageOf, type RenderedMail } from "./mail.ts";

export function createFileMailer(options: { dir: string; printLinks: boolean }): Mailer {
  const transport = lazyTransport((nodemailer) =>
    nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" }),
  );
  let count = 0;
  return {
    description: `mail: written as .eml files to ${options.dir} (set SMTP_URL to send)`,
    async send(mail: RenderedMail) {
      const info = await (await transport.get()).sendMail(messageOf(mail));
      await mkdir(options.dir, { recursive: true });
      count += 1;
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const file = join(options.dir, `${stamp}-${count}-${mail.kind.replace(/[^a-z0-9.-]/gi, "_")}.eml`);
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      if (options.printLinks) {
        const link = mail.link ? `\n  link: ${mail.link}` : "";
        process.stdout.write(`\n[mail] ${mail.kind} to ${mail.to.address}: ${file}${link}\n\n`);
      }
    },
    close: transport.close,
  };
}
