// End-to-end: invitations and password reset with a real SMTP server (the stack's `smtp` option): an
// owner invites an address without an account → the mail arrives at the server → its link opens sign-up
// with the address filled in → the new account lands in the project; pending invitations re-sent and
// revoked in settings; "forgot password" → the mail → the link → a new password → the other browser's
// session is signed out; a 375 px phone; axe in light and dark.
// Run: bun run --cwd web build && bun test ./web/test/e2e/invite-reset.suite.ts
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import AxeBuilder from "@axe-core/playwright";
import type { Locator, Page } from "playwright-core";
import {
  call,
  createProject as createProjectByApi,
  signUp as signUpByApi,
} from "../../../api/test/support/client.ts";
import { decodedBody } from "../../../api/test/support/mail-links.ts";
import type { TestSmtp } from "../../../api/test/support/smtp.ts";
import {
  createProject,
  PASSWORD,
  registerUser,
  signIn,
  signUp,
  suiteStack,
  uniqueEmail,
  until,
} from "./harness";

setDefaultTimeout(300_000);

const { stack, open } = suiteStack({ smtp: true });
const smtp = (): TestSmtp => stack().smtp as TestSmtp;

/** Waits for the `count`th mail to `to` and returns the link to `path` it carries. */
async function linkIn(to: string, path: "/invitation" | "/reset-password", count = 1): Promise<string> {
  // Only the mails carrying such a link: notification mails may reach the same address.
  const mails = await smtp().waitFor(
    count,
    (m) => m.envelopeTo.includes(to) && decodedBody(m.raw).includes(`${path}#`),
    30_000,
  );
  const body = decodedBody((mails[count - 1] ?? mails[0])?.raw ?? "");
  const match = new RegExp(`(http://127\\.0\\.0\\.1:\\d+${path}#[A-Za-z0-9_-]{43})`).exec(body);
  if (!match?.[1]) throw new Error(`no ${path} link in the mail to ${to}`);
  expect(new URL(match[1]).origin).toBe(new URL(stack().url).origin);
  return match[1];
}

const settingsOf = (page: Page, projectId: string) => page.goto(`/projects/${projectId}/settings`);

describe("invitations", () => {
  test("invite by e-mail → the mail → its link → sign-up with the address filled in → the project", async () => {
    const owner = await open();
    await signUp(owner.page, "Olivia Owner", uniqueEmail("olivia"));
    const projectId = await createProject(owner.page, "Moon base");
    await owner.page.getByRole("link", { name: "Settings", exact: true }).click();
    const invited = uniqueEmail("newbie");
    await owner.page.getByLabel("Email").fill(invited);
    await owner.page.getByLabel("Role", { exact: true }).selectOption("viewer");
    await owner.page.getByRole("button", { name: "Invite", exact: true }).click();
    await owner.page.getByText(`Invited ${invited} as viewer.`).waitFor();
    const pending = owner.page.locator(".invitation", { hasText: invited });
    await pending.waitFor();

    const link = await linkIn(invited, "/invitation");
    const guest = await open();
    await guest.page.goto(link);
    await guest.page.getByRole("heading", { name: "Join your team" }).waitFor();
    await guest.page.getByText("Olivia Owner invited you to Moon base").waitFor();
    const email = guest.page.getByLabel("Email");
    await until(async () => (await email.inputValue()) === invited, "the invited address to be filled in");
    expect(await email.getAttribute("readonly")).not.toBeNull();
    await guest.page.getByLabel("Name").fill("Nina Newbie");
    await guest.page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await guest.page.getByRole("button", { name: "Create account" }).click();
    await guest.page.getByRole("heading", { level: 1, name: "Moon base" }).waitFor();
    expect(new URL(guest.page.url()).pathname).toBe(`/projects/${projectId}`);

    // The owner sees the new member live; the invitation is no longer pending.
    await owner.page.locator(".member", { hasText: "Nina Newbie" }).waitFor();
    await owner.page.reload();
    await owner.page.locator(".member", { hasText: "Nina Newbie" }).waitFor();
    expect(await owner.page.locator(".invitation", { hasText: invited }).count()).toBe(0);

    // The link was single-use.
    const again = await open();
    await again.page.goto(link);
    await again.page.getByText("This invitation link is not valid any more").waitFor();
  });

  test("an address with an account joins at once; pending invitations are re-sent and revoked", async () => {
    const { page } = await open();
    await signUp(page, "Reggie", uniqueEmail("reggie"));
    const projectId = await createProject(page, "Resend");
    const existing = uniqueEmail("existing");
    await registerUser(stack(), "Ed Existing", existing);
    await settingsOf(page, projectId);
    await page.getByLabel("Email").fill(existing);
    await page.getByRole("button", { name: "Invite", exact: true }).click();
    // The same toast as for an address without an account.
    await page.getByText(`Invited ${existing} as editor.`).waitFor();
    await page.locator(".member", { hasText: "Ed Existing" }).waitFor();

    const stranger = uniqueEmail("stranger");
    await page.getByLabel("Email").fill(stranger);
    await page.getByRole("button", { name: "Invite", exact: true }).click();
    const row = page.locator(".invitation", { hasText: stranger });
    await row.waitFor();
    const first = await linkIn(stranger, "/invitation");
    await row.getByRole("button", { name: `Re-send the invitation to ${stranger}` }).click();
    await page.getByText(`Invitation sent again to ${stranger}.`).waitFor();
    const second = await linkIn(stranger, "/invitation", 2);
    expect(second).not.toBe(first);
    await row.getByRole("button", { name: `Revoke the invitation to ${stranger}` }).click();
    await row.waitFor({ state: "detached" });
    const guest = await open();
    await guest.page.goto(second);
    await guest.page.getByText("This invitation link is not valid any more").waitFor();
  });
});

describe("password reset", () => {
  test("forgot password → the mail → the link → a new password; the other browser is signed out", async () => {
    const email = uniqueEmail("forgetful");
    await registerUser(stack(), "Fran Forgetful", email);
    const elsewhere = await open();
    await signIn(elsewhere.page, email);

    const { page } = await open();
    await page.goto("/signin");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByRole("heading", { name: "Reset your password" }).waitFor();
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Send the link" }).click();
    const answer = await page
      .getByRole("status")
      .filter({ hasText: "If an account uses this address" })
      .textContent();

    // An address without an account gets the very same answer.
    const other = await open();
    await other.page.goto("/forgot-password");
    await other.page.getByLabel("Email").fill(uniqueEmail("nobody"));
    await other.page.getByRole("button", { name: "Send the link" }).click();
    expect(await other.page.getByRole("status").filter({ hasText: "If an account uses" }).textContent()).toBe(
      answer,
    );

    const link = await linkIn(email, "/reset-password");
    await page.goto(link);
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await page.getByLabel("New password", { exact: true }).fill("a completely new passphrase");
    await page.getByLabel("Repeat new password").fill("a completely new passphrase");
    await page.getByRole("button", { name: "Set the new password" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.getByText("Password changed. You were signed out everywhere else.").waitFor();

    // The other browser's session ended: its next load lands on sign-in.
    await elsewhere.page.reload();
    await elsewhere.page.getByRole("heading", { name: "Sign in" }).waitFor();
    await signIn(elsewhere.page, email, "a completely new passphrase");

    // The link was single-use.
    const reuse = await open();
    await reuse.page.goto(link);
    await reuse.page.getByLabel("New password", { exact: true }).fill("yet another passphrase 9");
    await reuse.page.getByLabel("Repeat new password").fill("yet another passphrase 9");
    await reuse.page.getByRole("button", { name: "Set the new password" }).click();
    await reuse.page.getByText("This link is not valid any more").waitFor();
  });
});

/** An invitation link and a reset link, made through the API, for the phone and axe tests. */
async function links(label: string) {
  const owner = await signUpByApi(stack().apiUrl, `owner-${label}`);
  const projectId = await createProjectByApi(stack().apiUrl, owner, `Project ${label}`);
  const invited = uniqueEmail(`invited-${label}`);
  const reply = await call(stack().apiUrl, "POST", `/api/projects/${projectId}/invitations`, {
    token: owner.token,
    body: { email: invited, role: "editor" },
  });
  expect(reply.status).toBe(202);
  await call(stack().apiUrl, "POST", "/api/auth/password-reset", { body: { email: owner.email } });
  return {
    owner,
    projectId,
    invited,
    invitation: await linkIn(invited, "/invitation"),
    reset: await linkIn(owner.email, "/reset-password"),
  };
}

describe("a 375 px phone", () => {
  const width = (page: Page) =>
    page.evaluate(() => Math.max(document.documentElement.scrollWidth, window.innerWidth));
  const onScreen = async (page: Page, target: Locator, what: string) => {
    await target.scrollIntoViewIfNeeded();
    const box = await target.boundingBox();
    const height = await page.evaluate(() => window.visualViewport?.height ?? window.innerHeight);
    if (!box || box.x < 0 || box.y < 0 || box.x + box.width > 375.5 || box.y + box.height > height + 0.5)
      throw new Error(`${what} is off screen: ${JSON.stringify(box)}`);
  };

  test("forgot password, the reset page, sign-up from an invitation and the pending list fit and can be tapped", async () => {
    const { owner, projectId, invited, invitation, reset } = await links("phone");
    const { page } = await open({ phone: true, width: 375, height: 740 });

    await page.goto("/forgot-password");
    await page.getByRole("heading", { name: "Reset your password" }).waitFor();
    expect(await width(page)).toBe(375);
    await onScreen(page, page.getByRole("button", { name: "Send the link" }), "Send the link");

    await page.goto(reset);
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    expect(await width(page)).toBe(375);
    await onScreen(page, page.getByRole("button", { name: "Set the new password" }), "Set the new password");

    await page.goto(invitation);
    await page.getByText(`invited you to Project phone`).waitFor();
    expect(await width(page)).toBe(375);
    await onScreen(page, page.getByRole("button", { name: "Create account" }), "Create account");

    await signIn(page, owner.email, "a sturdy passphrase 42");
    await settingsOf(page, projectId);
    const row = page.locator(".invitation", { hasText: invited });
    await row.waitFor();
    expect(await width(page)).toBe(375);
    const revoke = row.getByRole("button", { name: `Revoke the invitation to ${invited}` });
    await onScreen(
      page,
      row.getByRole("button", { name: `Re-send the invitation to ${invited}` }),
      "Re-send",
    );
    await onScreen(page, revoke, "Revoke");
    await revoke.tap();
    await row.waitFor({ state: "detached" });
  });
});

describe("accessibility", () => {
  const seriousOrWorse = async (page: Page) => {
    await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"));
    const result = await new AxeBuilder({ page })
      .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
      .analyze();
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  };

  for (const scheme of ["light", "dark"] as const) {
    test(`sign-in, forgot password, reset, invitation sign-up, pending invitations: no serious or critical axe violations (${scheme})`, async () => {
      const { owner, projectId, invited, invitation, reset } = await links(`axe-${scheme}`);
      const { page } = await open({ colorScheme: scheme });
      const found: string[] = [];
      const check = async (what: string) =>
        found.push(...(await seriousOrWorse(page)).map((v) => `${what}: ${v}`));

      await page.goto("/signin");
      await page.getByRole("link", { name: "Forgot your password?" }).waitFor();
      await check("sign-in");
      await page.goto("/forgot-password");
      await page.getByLabel("Email").fill("someone@example.test");
      await page.getByRole("button", { name: "Send the link" }).click();
      await page.getByRole("status").filter({ hasText: "If an account uses" }).waitFor();
      await check("forgot password, answered");
      await page.goto(reset);
      await page.getByRole("button", { name: "Set the new password" }).click();
      await page.locator("#field-password-error").waitFor();
      await check("reset, with errors");
      await page.goto(invitation);
      await page.getByText(`invited you to Project axe-${scheme}`).waitFor();
      await check("invitation sign-up");
      // Another document first: from /invitation#a to /invitation#b would only change the fragment.
      await page.goto("/signin");
      await page.goto("/invitation#not-a-valid-token-at-all");
      await page.getByText("This invitation link is not valid any more").waitFor();
      await check("invalid invitation");
      await signIn(page, owner.email, "a sturdy passphrase 42");
      await settingsOf(page, projectId);
      await page.locator(".invitation", { hasText: invited }).waitFor();
      await check("pending invitations");
      expect(found).toEqual([]);
    });
  }
});
