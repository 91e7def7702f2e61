// Password policy (NIST 800-63B style): 8–128 characters counted as code points, not one of the
// 1,000 most common passwords, no composition rules. Hashing: argon2id through Bun.password.
import { z } from "zod";
import commonPasswordList from "./common-passwords.txt" with { type: "text" };

const COMMON_PASSWORDS = new Set(commonPasswordList.split("\n").filter(Boolean));
const ARGON2 = { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 } as const;

export const passwordSchema = z
  .string()
  .refine((value) => [...value].length >= 8, "must be at least 8 characters")
  .refine((value) => [...value].length <= 128, "must be at most 128 characters")
  .refine((value) => !COMMON_PASSWORDS.has(value.toLowerCase()), "is too common; choose another");

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, ARGON2);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return Bun.password.verify(password, hash);
}

let dummyHash: Promise<string> | undefined;
/** Spends the same time as a real check when the account does not exist, so timing reveals nothing. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(crypto.randomUUID());
  await verifyPassword(password, await dummyHash);
  return false;
}
