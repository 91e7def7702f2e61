// Typed variables every middleware and route may read from the Hono context.
import type { Deps } from "../deps.ts";

export interface AuthenticatedUser {
  id: string;
  sessionId: string;
  /** When the credential (access token) stops being valid, in ms: event streams end then. */
  expiresAt: number;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    clientIp: string;
    user: AuthenticatedUser;
    deps: Deps;
  };
}
