// Typed variables every middleware and route may read from the Hono context.

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
  };
}
