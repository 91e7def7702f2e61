// Typed variables every middleware and route may read from the Hono context.
import type { MiddlewareHandler } from "hono";
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
    /** A valid access token's user, its session not checked yet (http/auth.ts). */
    verifiedToken: AuthenticatedUser;
    /** The signed-in user: a valid access token of a session that was not ended. */
    user: AuthenticatedUser;
    deps: Deps;
  };
}

/** Makes the app's dependencies available to middleware as the "deps" variable. */
export function provideDeps(deps: Deps): MiddlewareHandler<AppEnv> {
  // Not async: on every request, so it hands back next()'s promise instead of adding a frame of its own.
  return function provideDepsMiddleware(c, next) {
    c.set("deps", deps);
    return next();
  };
}
