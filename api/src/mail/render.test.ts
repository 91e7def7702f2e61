import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MailRejectedError } from "./mail.ts";
import {
  checkAddress,
  cleanHeaderText,
  MAX_SUBJECT,
  messageIdFor,
  parseMailbox,
  renderMail,
} from "./render.ts";

const options = {
  from: "TaskPlatform <noreply@tasks.example>",
  publicUrl: "https://tasks.example",
  key: "k1",
};
const base = { kind: "test", to: "ann@example.test", subject: "Hi", text: "One.\n\nTwo <b>bold</b> & more." };

describe("cleanHeaderText", () => {
  test("CR, LF, NUL, DEL, C1 controls and Unicode line separators become one space", () => {
    expect(cleanHeaderText("a\r\nBcc: x@y\u0000z\u007f\u0085\u2028w\n")).toBe("a Bcc: x@y z w");
  });

  test("no control character survives, whatever the input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (value) => {
        const clean = cleanHeaderText(value);
        expect(clean).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
        expect([...clean].length).toBeLessThanOrEqual(MAX_SUBJECT);
      }),
    );
  });

  test("long text is cut at a character, not inside a surrogate pair, and marked", () => {
    const clean = cleanHeaderText("😀".repeat(300));
    expect([...clean]).toHaveLength(MAX_SUBJECT);
    expect(clean.endsWith("😀…")).toBe(true);
  });
});

describe("addresses", () => {
  test("ordinary and Unicode addresses pass; long, spaced, multi-@ and bracketed ones are refused", () => {
    expect(checkAddress(" ann@example.test ")).toBe("ann@example.test");
    expect(checkAddress("用户@例子.测试")).toBe("用户@例子.测试");
    for (const bad of [
      `${"a".repeat(250)}@example.test`,
      "a b@example.test",
      "a@b@c",
      "<a@b>",
      "a@b\r\nRCPT TO:<x@y>",
      "no-at-sign",
      "a,b@example.test",
    ])
      expect(() => checkAddress(bad)).toThrow(MailRejectedError);
  });

  test("MAIL_FROM with and without a name", () => {
    expect(parseMailbox("TaskPlatform <noreply@tasks.example>")).toEqual({
      name: "TaskPlatform",
      address: "noreply@tasks.example",
    });
    expect(parseMailbox("noreply@tasks.example")).toEqual({ name: "", address: "noreply@tasks.example" });
  });
});

describe("renderMail", () => {
  test("both bodies carry the preferences link; HTML is escaped; the action is a link", () => {
    const mail = renderMail(
      { ...base, action: { label: "Open", url: "https://tasks.example/projects/1?a=1&b=2" } },
      options,
    );
    expect(mail.text).toContain("One.\n\nTwo <b>bold</b> & more.");
    expect(mail.text).toContain("Open: https://tasks.example/projects/1?a=1&b=2");
    expect(mail.text).toContain("https://tasks.example/settings#notifications");
    expect(mail.html).toContain("<p>Two &#60;b&#62;bold&#60;/b&#62; &#38; more.</p>");
    expect(mail.html).toContain('<a href="https://tasks.example/projects/1?a=1&#38;b=2"');
    expect(mail.html).toContain('href="https://tasks.example/settings#notifications"');
    expect(mail.headers["List-Unsubscribe"]).toBe("<https://tasks.example/settings#notifications>");
    expect(mail.link).toBe("https://tasks.example/projects/1?a=1&b=2");
  });

  test("user text in From's name, To's name and the subject stays on one line", () => {
    const mail = renderMail(
      { ...base, fromName: "Eve\r\nBcc: x@y", toName: "Ann\nX: 1", subject: "S\r\n\r\nbody" },
      options,
    );
    expect(mail.from).toEqual({ name: "Eve Bcc: x@y", address: "noreply@tasks.example" });
    expect(mail.to.name).toBe("Ann X: 1");
    expect(mail.subject).toBe("S body");
  });

  test("the Message-ID depends on the key only: every attempt of one mail has the same", () => {
    expect(renderMail(base, options).messageId).toBe(
      renderMail({ ...base, text: "other" }, options).messageId,
    );
    expect(messageIdFor("k1", "a@tasks.example")).not.toBe(messageIdFor("k2", "a@tasks.example"));
    expect(messageIdFor("k1", "a@tasks.example")).toMatch(/^<[0-9a-f]{40}@tasks\.example>$/);
  });
});
