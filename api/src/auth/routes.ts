// /api/auth: register (with an invitation link or without), login, refresh (rotating cookie), logout,
// me, sessions, password change, password reset (auth/password-reset.ts), an invitation link's preview.

import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { deleteFeed } from "../calendar-feed/repository.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/context.ts";
import { ApiError, notFound, validationFailed } from "../http/errors.ts";
import { validate } from "../http/validate.ts";
import { findByTokenHash } from "../invitations/repository.ts";
import { previewBody } from "../invitations/schemas.ts";
import { acceptOnSignUp, createInvitationService, invalidInvitation } from "../invitations/service.ts";
import { tokenHash } from "./link-tokens.ts";
import {
  consumeReset,
  isResetOpen,
  queueResetRequest,
  RESET_WINDOW_SECONDS,
  RESETS_PER_ACCOUNT,
  RESETS_PER_ADDRESS,
} from "./password-reset.ts";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "./passwords.ts";
import {
  changePasswordBody,
  completeResetBody,
  loginBody,
  registerBody,
  resetRequestBody,
  sessionParam,
} from "./schemas.ts";
import { createSessions } from "./sessions.ts";
import { signAccessToken } from "./tokens.ts";
import { describeUserAgent } from "./user-agent.ts";
import { findUserByEmail, findUserById, insertUser, toPublicUser, updatePasswordHash } from "./users.ts";

/** `__Host-` pins the cookie to this origin: Secure, Path=/, no Domain. */
const REFRESH_COOKIE = "tp_refresh";

/** The one answer to "forgot password", whatever the address. */
export const RESET_ANSWER =
  "If an account uses this address, a link to choose a new password is on its way. It works for 30 minutes.";

export function authRoutes(deps: Deps, publish: Publish) {
  const { sql, store, config, metrics } = deps;
  const invitations = createInvitationService(deps, publish);
  const sessions = createSessions(store, {
    ttlSeconds: config.refreshTokenTtlSeconds,
    accessTtlSeconds: config.accessTokenTtlSeconds,
    rotationKey: config.jwtSecret,
  });
  const auth = requireAuth({ secret: config.jwtSecret, metrics, store });
  const {
    max: maxFailures,
    accountMax: accountMaxFailures,
    windowSeconds: failureWindow,
  } = config.loginFailures;

  const issue = async (c: Context<AppEnv>, userId: string) => {
    const { session, refreshToken } = await sessions.create({
      userId,
      userAgent: c.req.header("user-agent") ?? "",
      ip: c.get("clientIp"),
    });
    setRefreshCookie(c, refreshToken);
    const accessToken = await signAccessToken(
      config.jwtSecret,
      { userId, sessionId: session.id },
      config.accessTokenTtlSeconds,
    );
    return { accessToken, sessionId: session.id };
  };

  const setRefreshCookie = (c: Context<AppEnv>, token: string) =>
    setCookie(c, REFRESH_COOKIE, token, {
      prefix: "host",
      httpOnly: true,
      sameSite: "Strict",
      maxAge: config.refreshTokenTtlSeconds,
    });

  const invalidCredentials = () => new ApiError(401, "invalid_credentials", "email or password is incorrect");

  return new Hono<AppEnv>()
    .post("/register", validate("json", registerBody), async (c) => {
      const body = c.req.valid("json");
      if (body.invitationToken) {
        // Checked before anything is written or hashed (again, atomically, when joining below).
        const invitation = await findByTokenHash(sql, tokenHash(body.invitationToken));
        if (!invitation) throw invalidInvitation();
      }
      const userId = crypto.randomUUID();
      // The session is created first: if the store is down nothing is written, no CPU is spent on
      // hashing, and the user can retry.
      const { accessToken, sessionId } = await issue(c, userId);
      const passwordHash = await hashPassword(body.password);
      const refuse = async (error: unknown): Promise<never> => {
        await sessions.revoke(userId, sessionId);
        deleteCookie(c, REFRESH_COOKIE, { prefix: "host" });
        throw error;
      };
      const created = await sql
        .begin(async (tx) => {
          const user = await insertUser(tx, { id: userId, email: body.email, name: body.name, passwordHash });
          if (!user) throw new ApiError(409, "email_taken", "an account with this email already exists");
          const joined = body.invitationToken
            ? await acceptOnSignUp(tx, body.invitationToken, user)
            : undefined;
          return { user, joined };
        })
        .catch(refuse);
      const { user, joined } = created;
      if (joined) {
        await publish({
          type: "member.added",
          projectId: joined.projectId,
          actorId: user.id,
          member: joined.member,
        });
      }
      return c.json(
        { user: toPublicUser(user), accessToken, ...(joined ? { joinedProjectId: joined.projectId } : {}) },
        201,
      );
    })
    .post("/invitation", validate("json", previewBody), async (c) => {
      return c.json(await invitations.preview(c.req.valid("json").token));
    })
    .post("/password-reset", validate("json", resetRequestBody), async (c) => {
      const { email } = c.req.valid("json");
      // The same work for every address: one slot from both budgets, one queued job. Whether an
      // account uses the address is found out by the job, after this answer (password-reset.ts).
      const budgets = [
        { key: `password-reset:ip:${c.get("clientIp")}`, limit: RESETS_PER_ADDRESS },
        { key: `password-reset:account:${email}`, limit: RESETS_PER_ACCOUNT },
      ];
      const { taken, windows } = await store.take(
        budgets.map((budget) => budget.key),
        budgets.map((budget) => budget.limit),
        RESET_WINDOW_SECONDS,
      );
      if (!taken) {
        metrics.rateLimited.inc({ scope: "password_reset" });
        const full = windows.filter((window, i) => window.count >= (budgets[i]?.limit ?? 0));
        throw new ApiError(
          429,
          "too_many_attempts",
          "Too many password reset requests; try again later.",
          undefined,
          { "Retry-After": String(Math.max(1, ...full.map((window) => window.resetSeconds))) },
        );
      }
      await queueResetRequest(sql, email);
      return c.json({ message: RESET_ANSWER }, 202);
    })
    .post("/password-reset/complete", validate("json", completeResetBody), async (c) => {
      const { token, password } = c.req.valid("json");
      const invalid = () =>
        new ApiError(
          404,
          "reset_link_invalid",
          "This link is not valid any more: it was used, has expired or is not complete. Ask for a new one.",
        );
      // A link that cannot work costs no hashing.
      if (!(await isResetOpen(sql, token))) throw invalid();
      const passwordHash = await hashPassword(password);
      const userId = await sql.begin(async (tx) => {
        const owner = await consumeReset(tx, token);
        if (owner) {
          await updatePasswordHash(tx, owner, passwordHash);
          // A reset is how an account is taken back: a calendar feed URL made by whoever had it ends too.
          await deleteFeed(tx, owner);
        }
        return owner;
      });
      if (!userId) throw invalid();
      // Every session of the account ends (this browser gets a new one below).
      await sessions.revokeAllExcept(userId, undefined);
      const user = await findUserById(sql, userId);
      if (!user) throw invalid();
      const { accessToken } = await issue(c, userId);
      return c.json({ user: toPublicUser(user), accessToken });
    })
    .post("/login", validate("json", loginBody), async (c) => {
      const { email, password } = c.req.valid("json");
      const ip = c.get("clientIp");
      // Each attempt takes a slot from three budgets at once, atomically, before the password is checked:
      // this account from this address, this address (any account), and this account from anywhere with a
      // much higher ceiling, so an attacker's failures cannot lock the owner out from elsewhere. Only
      // failures keep their slot.
      const budgets = [
        { key: `login-failures:pair:${ip}:${email}`, limit: maxFailures },
        { key: `login-failures:ip:${ip}`, limit: maxFailures },
        { key: `login-failures:account:${email}`, limit: accountMaxFailures },
      ];
      const keys = budgets.map((budget) => budget.key);
      const { taken, windows } = await store.take(
        keys,
        budgets.map((budget) => budget.limit),
        failureWindow,
      );
      if (!taken) {
        metrics.authLogins.inc({ result: "blocked" });
        const full = windows.filter((window, i) => window.count >= (budgets[i]?.limit ?? 0));
        throw new ApiError(429, "too_many_attempts", "too many failed sign-ins; try again later", undefined, {
          "Retry-After": String(Math.max(1, ...full.map((window) => window.resetSeconds))),
        });
      }
      let user: Awaited<ReturnType<typeof findUserByEmail>>;
      let valid: boolean;
      try {
        user = await findUserByEmail(sql, email);
        valid = user ? await verifyPassword(password, user.passwordHash) : await verifyAgainstDummy(password);
      } catch (error) {
        // No verdict (e.g. the database is down): the attempt must not use up the budget.
        await store.giveBack(keys).catch(() => {});
        throw error;
      }
      if (!user || !valid) {
        metrics.authLogins.inc({ result: "failure" });
        metrics.authFailures.inc({ reason: "invalid_credentials" });
        throw invalidCredentials();
      }
      await store.giveBack(keys);
      metrics.authLogins.inc({ result: "success" });
      const { accessToken } = await issue(c, user.id);
      return c.json({ user: toPublicUser(user), accessToken });
    })
    .post("/refresh", async (c) => {
      const token = getCookie(c, REFRESH_COOKIE, "host");
      const refused = (reason: string) => {
        metrics.authFailures.inc({ reason: `refresh_${reason}` });
        deleteCookie(c, REFRESH_COOKIE, { prefix: "host" });
        return new ApiError(401, "invalid_refresh_token", "session expired; sign in again");
      };
      // No cookie is a visitor who never signed in (the SPA asks on every load): not an error.
      if (!token) return c.body(null, 204);
      const outcome = await sessions.refresh(token, {
        ip: c.get("clientIp"),
        userAgent: c.req.header("user-agent") ?? "",
      });
      if (!outcome.ok) throw refused(outcome.reason);
      setRefreshCookie(c, outcome.refreshToken);
      const accessToken = await signAccessToken(
        config.jwtSecret,
        { userId: outcome.session.userId, sessionId: outcome.session.id },
        config.accessTokenTtlSeconds,
      );
      return c.json({ accessToken });
    })
    .post("/logout", async (c) => {
      const token = getCookie(c, REFRESH_COOKIE, "host");
      if (token) await sessions.end(token);
      deleteCookie(c, REFRESH_COOKIE, { prefix: "host" });
      return c.body(null, 204);
    })
    .get("/me", auth, async (c) => {
      const user = await findUserById(sql, c.get("user").id);
      if (!user) throw notFound("user");
      return c.json({ user: toPublicUser(user) });
    })
    .get("/sessions", auth, async (c) => {
      const { id: userId, sessionId } = c.get("user");
      const items = (await sessions.list(userId)).map((session) => ({
        id: session.id,
        current: session.id === sessionId,
        ...describeUserAgent(session.userAgent),
        userAgent: session.userAgent,
        ip: session.ip,
        createdAt: session.createdAt,
        lastUsedAt: session.lastUsedAt,
      }));
      return c.json({ items });
    })
    .delete("/sessions/:id", auth, validate("param", sessionParam), async (c) => {
      const userId = c.get("user").id;
      const session = await sessions.get(c.req.valid("param").id);
      if (!session || session.userId !== userId) throw notFound("session");
      await sessions.revoke(userId, session.id);
      return c.body(null, 204);
    })
    .delete("/sessions", auth, async (c) => {
      const { id, sessionId } = c.get("user");
      await sessions.revokeAllExcept(id, sessionId);
      return c.body(null, 204);
    })
    .post("/password", auth, validate("json", changePasswordBody), async (c) => {
      const { id, sessionId } = c.get("user");
      const { currentPassword, newPassword } = c.req.valid("json");
      const user = await findUserById(sql, id);
      if (!user) throw notFound("user");
      if (!(await verifyPassword(currentPassword, user.passwordHash))) {
        metrics.authFailures.inc({ reason: "wrong_current_password" });
        throw validationFailed([{ path: "currentPassword", message: "is incorrect", code: "custom" }]);
      }
      await updatePasswordHash(sql, id, await hashPassword(newPassword));
      await sessions.revokeAllExcept(id, sessionId);
      return c.body(null, 204);
    });
}
