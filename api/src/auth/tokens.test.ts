import { describe, expect, test } from "bun:test";
import { createAccessVerifier, InvalidTokenError, signAccessToken } from "./tokens.ts";

const SECRET = "unit-test-secret-0123456789abcdef0123456789";
const subject = { userId: crypto.randomUUID(), sessionId: crypto.randomUUID() };

describe("access verifier", () => {
  test("accepts a valid token, again from memory, and refuses it once expired", async () => {
    let clock = Date.now();
    const verify = createAccessVerifier(SECRET, () => clock);
    const token = await signAccessToken(SECRET, subject, 60);
    expect((await verify(token)).sub).toBe(subject.userId);
    expect((await verify(token)).sid).toBe(subject.sessionId);
    clock += 61_000;
    await expect(verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  test("refuses tampered, foreign and malformed tokens, every time", async () => {
    const verify = createAccessVerifier(SECRET);
    const token = await signAccessToken(SECRET, subject, 60);
    const [header, payload, signature] = token.split(".");
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? "", "base64url").toString()), sub: "someone-else" })).toString("base64url")}.${signature}`;
    const foreign = await signAccessToken("another-secret-0123456789abcdef0123456789", subject, 60);
    for (const bad of [forged, foreign, "not.a.token", ""]) {
      await expect(verify(bad)).rejects.toBeInstanceOf(InvalidTokenError);
      await expect(verify(bad)).rejects.toBeInstanceOf(InvalidTokenError);
    }
  });
});
