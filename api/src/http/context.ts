// Typed variables every middleware and route may read from the Hono context.
import type { Deps } from "../deps.ts";

export interface AuthenticatedUser {
  id: string;
  sessionId: string;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    clientIp: string;
    user: AuthenticatedUser;
    deps: Deps;
  };
}
