// SMTP through nodemailer. TLS follows the URL: smtps:// is TLS from the first byte (port 465),
// smtp:// upgrades with STARTTLS when the server offers it (add ?requireTLS=true to refuse a server that
// does not). Every phase has a timeout (connect, greeting, each read), so a send never outlives the
// job's lease (config.ts keeps JOBS_LEASE_SECONDS ≥ 2 × MAIL_TIMEOUT_SECONDS + 5).
import { lazyTransport } from "./lazy-transport.ts";
import { type Mailer, MailRejectedError, messageOf, type RenderedMail } from "./mail.ts";

export function describeSmtpUrl(url: string): string {
  const parsed = new URL(url);
  const secure = parsed.protocol === "smtps:";
  const port = parsed.port || (secure ? "465" : "587");
  return `mail: SMTP ${parsed.hostname}:${port} (${secure ? "TLS" : "STARTTLS when offered"}) from SMTP_URL`;
}

export function createSmtpMailer(options: { url: string; timeoutMs: number }): Mailer {
  const transport = lazyTransport((nodemailer) =>
    nodemailer.createTransport({
      url: options.url,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      dnsTimeout: options.timeoutMs,
      // Messages are built from strings only: nodemailer must never read a file or fetch a URL for one.
      disableFileAccess: true,
      disableUrlAccess: true,
    } as Parameters<typeof nodemailer.createTransport>[0]),
  );
  return {
    description: describeSmtpUrl(options.url),
    async send(mail: RenderedMail) {
      const smtp = await transport.get();
      try {
        await smtp.sendMail(messageOf(mail));
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        // 5xx: the server refused this message for good (unknown mailbox, address it cannot take).
        if (typeof code === "number" && code >= 500 && code < 600)
          throw new MailRejectedError(`SMTP server refused the message (${code})`);
        throw new Error(`SMTP send failed: ${(error as Error).message}`.slice(0, 300));
      }
    },
    close: transport.close,
  };
}
