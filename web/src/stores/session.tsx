// Session context: who is signed in. The access token lives in memory (api/http.ts); on load the
// app tries a silent refresh through the HttpOnly cookie to restore the session. A visitor without a
// cookie gets a quiet 204 (no console error); a server that is busy or down (429, 503, no network)
// is asked again later instead of signing the user out.
import { createContext, createSignal, type JSX, onCleanup, useContext } from "solid-js";
import { authApi } from "../api/auth";
import { live } from "../api/events";
import { isTemporary, onTokenChange, renewSession, setAccessToken } from "../api/http";
import type { User } from "../api/types";

export type SessionStatus = "loading" | "anonymous" | "authenticated";

export interface SessionApi {
  status: () => SessionStatus;
  user: () => User | null;
  signIn(email: string, password: string): Promise<void>;
  /** With an invitation link's token the account joins its project: the project's id is returned. */
  signUp(
    name: string,
    email: string,
    password: string,
    invitationToken?: string,
  ): Promise<string | undefined>;
  /** Sets a new password with a reset link (every other session ends) and signs in. */
  resetPassword(token: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  restore(): Promise<void>;
  /** The session ended elsewhere (refresh refused): forget it locally. */
  expire(): void;
}

const SessionContext = createContext<SessionApi>();

/** Waits what the server asked for (Retry-After), else backs off from 1 s to 30 s. */
function retryDelay(error: { retryAfterSeconds?: number }, attempt: number): Promise<void> {
  const seconds = error.retryAfterSeconds ?? 2 ** Math.min(attempt, 5);
  return new Promise((resolve) => setTimeout(resolve, Math.min(30, Math.max(1, seconds)) * 1000));
}

export function createSession(): SessionApi {
  const [status, setStatus] = createSignal<SessionStatus>("loading");
  const [user, setUser] = createSignal<User | null>(null);

  const signedIn = (next: User, token: string) => {
    setAccessToken(token);
    setUser(next);
    setStatus("authenticated");
    live.start();
  };
  const signedOut = () => {
    setStatus("anonymous");
    setUser(null);
    live.stop();
    setAccessToken(null);
  };

  return {
    status,
    user,
    async signIn(email, password) {
      const res = await authApi.login({ email, password });
      signedIn(res.user, res.accessToken);
    },
    async signUp(name, email, password, invitationToken) {
      const res = await authApi.register({ name, email, password, invitationToken });
      signedIn(res.user, res.accessToken);
      return res.joinedProjectId;
    },
    async resetPassword(token, password) {
      const res = await authApi.completeReset({ token, password });
      signedIn(res.user, res.accessToken);
    },
    async signOut() {
      try {
        await authApi.logout();
      } catch {
        // The server may already have forgotten the session; sign out locally regardless.
      }
      signedOut();
    },
    expire: signedOut,
    async restore() {
      for (let attempt = 0; ; attempt++) {
        let problem: unknown;
        const renewal = await renewSession();
        if (renewal.kind === "signed_out") return signedOut();
        if (renewal.kind === "retry_later") problem = renewal.error;
        else {
          try {
            const { user: me } = await authApi.me();
            return signedIn(me, renewal.token);
          } catch (error) {
            problem = error;
          }
        }
        if (!isTemporary(problem)) return signedOut();
        await retryDelay(problem, attempt);
      }
    },
  };
}

export function SessionProvider(props: { value?: SessionApi; children: JSX.Element }) {
  const session = props.value ?? createSession();
  // A failed refresh anywhere (another tab signed out, session revoked) ends the session here too.
  const off = onTokenChange((token) => {
    if (token === null && session.status() === "authenticated") session.expire();
  });
  onCleanup(off);
  if (!props.value) void session.restore();
  return <SessionContext.Provider value={session}>{props.children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside <SessionProvider>");
  return session;
}
